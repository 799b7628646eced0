package visits

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// figureKey is one day's figures for one value of one dimension.
type figureKey struct {
	day       time.Time
	dimension string
	value     string
}

// figureSet adds a file's figures up by day, dimension and value, so that
// memory grows with the distinct keys, never with the file.
type figureSet struct {
	sums map[figureKey]sums
}

func newFigureSet() *figureSet { return &figureSet{sums: map[figureKey]sums{}} }

// add adds v to a key, refusing a file with too many keys to hold.
func (f *figureSet) add(day time.Time, dimension, value string, v sums) error {
	k := figureKey{day, dimension, value}
	cur, ok := f.sums[k]
	if !ok && len(f.sums) >= maxImportKeys {
		return hpa.Errorf(hpa.EINVALID, "the file holds more than %d distinct day, dimension and value figures; split it by date", maxImportKeys)
	}
	cur.add(v)
	f.sums[k] = cur
	return nil
}

// summarise puts the totals' range and figures in the record.
func (f *figureSet) summarise(imp *Import) {
	for k, v := range f.sums {
		if k.dimension != "" {
			continue
		}
		day := k.day
		if imp.FirstDay == nil || day.Before(*imp.FirstDay) {
			imp.FirstDay = &day
		}
		if imp.LastDay == nil || day.After(*imp.LastDay) {
			imp.LastDay = &day
		}
		imp.Visits += v.visits
		imp.Pageviews += v.pageviews
	}
}

// write stores every figure under the import, importBatch at a time.
func (f *figureSet) write(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	var p store.VisitImportedDailyAddParams
	flush := func() error {
		if len(p.Days) == 0 {
			return nil
		}
		p.ImportID = id
		if _, err := store.Q.VisitImportedDailyAdd(ctx, tx, p); err != nil {
			return fmt.Errorf("write imported figures: %w", err)
		}
		p = store.VisitImportedDailyAddParams{}
		return nil
	}
	for k, v := range f.sums {
		p.Days = append(p.Days, k.day)
		p.Dimensions = append(p.Dimensions, k.dimension)
		p.DimensionValues = append(p.DimensionValues, k.value)
		p.Visitors = append(p.Visitors, v.visitors)
		p.Visits = append(p.Visits, v.visits)
		p.Pageviews = append(p.Pageviews, v.pageviews)
		p.Events = append(p.Events, v.events)
		p.Bounces = append(p.Bounces, v.bounces)
		p.Durations = append(p.Durations, v.duration)
		if len(p.Days) == importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// Imports lists the latest imports, newest first.
func (s *Service) Imports(ctx context.Context, limit int) ([]Import, error) {
	rows, err := store.Q.VisitImportList(ctx, s.pool, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	out := make([]Import, len(rows))
	for i, r := range rows {
		out[i] = importOf(r)
	}
	return out, nil
}

// GetImport returns one import, with its progress while it runs.
func (s *Service) GetImport(ctx context.Context, id uuid.UUID) (Import, error) {
	row, err := store.Q.VisitImportGet(ctx, s.pool, id)
	if store.IsNotFound(err) {
		return Import{}, hpa.Errorf(hpa.ENOTFOUND, "no such import")
	}
	if err != nil {
		return Import{}, fmt.Errorf("get import: %w", err)
	}
	return importOf(row), nil
}

// DeleteImport removes a completed import's figures; its record stays,
// marked deleted, and the same file may be imported again.
func (s *Service) DeleteImport(ctx context.Context, id uuid.UUID) (Import, error) {
	var out Import
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := store.Q.VisitImportDelete(ctx, tx, id)
		if store.IsNotFound(err) {
			cur, getErr := store.Q.VisitImportGet(ctx, tx, id)
			if store.IsNotFound(getErr) {
				return hpa.Errorf(hpa.ENOTFOUND, "no such import")
			}
			if getErr != nil {
				return getErr
			}
			return hpa.Errorf(hpa.ECONFLICT, "only a completed import can be deleted; this one is %s", cur.Status).WithReason(ReasonImportNotDeletable)
		}
		if err != nil {
			return err
		}
		if _, err := store.Q.VisitImportDeleteData(ctx, tx, id); err != nil {
			return fmt.Errorf("delete figures of import %s: %w", id, err)
		}
		out = importOf(row)
		return audit.Record(ctx, tx, audit.Event{Action: "stats_import.delete", TargetType: "stats_import", TargetID: id.String()})
	})
	if err != nil {
		if _, ok := err.(*hpa.Error); ok {
			return Import{}, err
		}
		return Import{}, fmt.Errorf("delete import: %w", err)
	}
	s.forgetCounter()
	return out, nil
}

func importOf(r store.VisitImport) Import {
	imp := Import{ID: r.ID, Format: r.Format, Status: r.Status, DuplicateOf: r.DuplicateOf, AddToCounter: r.AddToCounter,
		SHA256: r.FileSha256, BytesTotal: r.BytesTotal, BytesRead: r.BytesRead, RowsRead: r.RowsRead, RowsImported: r.RowsImported,
		RowsSkipped: r.RowsSkipped, RowsRejected: r.RowsRejected, FirstDay: r.FirstDay, LastDay: r.LastDay, Visits: r.Visits,
		Pageviews: r.Pageviews, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
	_ = json.Unmarshal(r.Problems, &imp.Problems)
	return imp
}
