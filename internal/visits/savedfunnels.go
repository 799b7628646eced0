package visits

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// MaxSavedFunnels bounds the saved funnels of a site: the export counts
// each from raw events, so every one adds a funnel query to it (about
// 0.9 s for 7 days of 47,000 page views on a busy machine: see
// docs/performance.md), and the export must end within the server's 60 s
// write timeout.
const MaxSavedFunnels = 10

// SavedFunnel is a funnel staff named and kept, to evaluate over any
// range, to find in the export and to share.
type SavedFunnel struct {
	ID        uuid.UUID
	Name      string
	Steps     []FunnelStep
	CreatedAt time.Time
	UpdatedAt time.Time
}

// checkSavedFunnel checks a funnel's name and steps as the funnel query
// checks steps, reporting every field at fault.
func checkSavedFunnel(f SavedFunnel) error {
	var errs []hpa.FieldError
	if f.Name == "" || len(f.Name) > 60 || hpa.TextFault(f.Name) != "" || strings.TrimSpace(f.Name) != f.Name {
		errs = append(errs, hpa.FieldError{Location: "body.name", Message: "must be 1 to 60 bytes of text, without leading or trailing spaces"})
	}
	if err := checkFunnelSteps(f.Steps, "body."); err != nil {
		errs = append(errs, err.(*hpa.Error).Fields...)
	}
	if len(errs) > 0 {
		return &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: errs}
	}
	return nil
}

// SaveFunnel keeps a new funnel. Names are unique (ReasonFunnelExists);
// a site keeps at most MaxSavedFunnels (ReasonTooManyFunnels).
func (s *Service) SaveFunnel(ctx context.Context, f SavedFunnel) (SavedFunnel, error) {
	if err := checkSavedFunnel(f); err != nil {
		return SavedFunnel{}, err
	}
	steps, _ := json.Marshal(f.Steps) // strings only
	var out SavedFunnel
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := store.Q.VisitFunnelLock(ctx, tx); err != nil {
			return fmt.Errorf("lock funnels: %w", err)
		}
		row, err := store.Q.VisitFunnelInsert(ctx, tx, store.VisitFunnelInsertParams{Name: f.Name, Steps: steps, MaxFunnels: MaxSavedFunnels})
		if store.IsNotFound(err) {
			n, err := store.Q.VisitFunnelCount(ctx, tx)
			if err != nil {
				return fmt.Errorf("count funnels: %w", err)
			}
			if n >= MaxSavedFunnels {
				return hpa.Errorf(hpa.ECONFLICT, "a site may keep at most %d funnels; delete one first", MaxSavedFunnels).WithReason(ReasonTooManyFunnels)
			}
			return funnelExists(f.Name)
		}
		if err != nil {
			return fmt.Errorf("save funnel: %w", err)
		}
		out, err = savedFunnelOf(row.ID, row.Name, row.Steps, row.CreatedAt, row.UpdatedAt)
		return err
	})
	return out, err
}

// SavedFunnels lists the saved funnels, by name.
func (s *Service) SavedFunnels(ctx context.Context) ([]SavedFunnel, error) {
	rows, err := store.Q.VisitFunnelList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list funnels: %w", err)
	}
	out := make([]SavedFunnel, len(rows))
	for i, r := range rows {
		if out[i], err = savedFunnelOf(r.ID, r.Name, r.Steps, r.CreatedAt, r.UpdatedAt); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SavedFunnel finds a saved funnel by its ID.
func (s *Service) SavedFunnel(ctx context.Context, id uuid.UUID) (SavedFunnel, error) {
	r, err := store.Q.VisitFunnelGet(ctx, s.pool, id)
	if store.IsNotFound(err) {
		return SavedFunnel{}, hpa.Errorf(hpa.ENOTFOUND, "no saved funnel has this ID")
	}
	if err != nil {
		return SavedFunnel{}, fmt.Errorf("get funnel: %w", err)
	}
	return savedFunnelOf(r.ID, r.Name, r.Steps, r.CreatedAt, r.UpdatedAt)
}

// UpdateFunnel replaces a saved funnel's name and steps; shared links
// that include it show the new steps.
func (s *Service) UpdateFunnel(ctx context.Context, f SavedFunnel) (SavedFunnel, error) {
	if err := checkSavedFunnel(f); err != nil {
		return SavedFunnel{}, err
	}
	steps, _ := json.Marshal(f.Steps) // strings only
	r, err := store.Q.VisitFunnelUpdate(ctx, s.pool, store.VisitFunnelUpdateParams{ID: f.ID, Name: f.Name, Steps: steps})
	switch {
	case store.IsNotFound(err):
		return SavedFunnel{}, hpa.Errorf(hpa.ENOTFOUND, "no saved funnel has this ID")
	case store.IsUniqueViolation(err, "visit_funnels_name_key"):
		return SavedFunnel{}, funnelExists(f.Name)
	case err != nil:
		return SavedFunnel{}, fmt.Errorf("update funnel: %w", err)
	}
	return savedFunnelOf(r.ID, r.Name, r.Steps, r.CreatedAt, r.UpdatedAt)
}

// DeleteFunnel deletes a saved funnel, and with it its place in shared
// links; no figures go with it (funnels are counted from raw events).
func (s *Service) DeleteFunnel(ctx context.Context, id uuid.UUID) error {
	n, err := store.Q.VisitFunnelDelete(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("delete funnel: %w", err)
	}
	if n == 0 {
		return hpa.Errorf(hpa.ENOTFOUND, "no saved funnel has this ID")
	}
	return nil
}

// EvaluateFunnel counts a saved funnel over a range among the visits the
// filters keep, exactly as Funnel counts the same steps.
func (s *Service) EvaluateFunnel(ctx context.Context, id uuid.UUID, r DateRange, filters []Filter, at string) (SavedFunnel, *FunnelResult, error) {
	f, err := s.SavedFunnel(ctx, id)
	if err != nil {
		return f, nil, err
	}
	res, err := s.Funnel(ctx, FunnelQuery{Range: r, Steps: f.Steps, Filters: filters, At: at})
	return f, res, err
}

func funnelExists(name string) error {
	return hpa.Errorf(hpa.ECONFLICT, "a saved funnel named %q exists", name).WithReason(ReasonFunnelExists)
}

func savedFunnelOf(id uuid.UUID, name string, steps []byte, created, updated time.Time) (SavedFunnel, error) {
	f := SavedFunnel{ID: id, Name: name, CreatedAt: created, UpdatedAt: updated}
	if err := json.Unmarshal(steps, &f.Steps); err != nil {
		return f, fmt.Errorf("read funnel %s steps: %w", id, err)
	}
	return f, nil
}
