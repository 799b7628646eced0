package content

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Audience is a group of people HPA speaks to, with its own short message
// and, optionally, a page about it.
type Audience struct {
	ID      uuid.UUID
	Key     string
	Name    string
	Message string
	// PageSlug is the linked page; in public views it is empty unless the
	// page is public.
	PageSlug   string
	PagePublic bool
	Position   int32
	Version    int32
	UpdatedAt  time.Time
}

// ETag is the validator editors send back in If-Match.
func (a *Audience) ETag() string { return recordETag(a.ID, a.Version) }

// AudienceList is the audiences in order, with a version that changes
// whenever the list does (an ETag).
type AudienceList struct {
	Items   []Audience
	Version string
}

// Audiences lists the audiences in order, as the public sees them.
func (s *Service) Audiences(ctx context.Context) (*AudienceList, error) {
	s.fresh(ctx)
	return s.public.audiences.Get(ctx, "audiences", func(ctx context.Context) (*AudienceList, error) {
		all, err := s.listAudiences(ctx, s.db, s.now())
		if err != nil {
			return nil, err
		}
		list := &AudienceList{Items: publicAudiences(all)}
		list.Version = versionOf(list.Items)
		return list, nil
	})
}

// AudienceKeys lists the audiences' keys, from the same cache as
// Audiences (membership checks signups' audiences with it).
func (s *Service) AudienceKeys(ctx context.Context) ([]string, error) {
	list, err := s.Audiences(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(list.Items))
	for i, a := range list.Items {
		keys[i] = a.Key
	}
	return keys, nil
}

func (s *Service) listAudiences(ctx context.Context, db store.DBTX, now time.Time) ([]Audience, error) {
	rows, err := store.Q.AudienceList(ctx, db, now)
	if err != nil {
		return nil, fmt.Errorf("list audiences: %w", err)
	}
	out := make([]Audience, len(rows))
	for i, r := range rows {
		out[i] = Audience{ID: r.ID, Key: r.Key, Name: r.Name, Message: r.Message, PageSlug: store.Text(r.PageSlug),
			PagePublic: r.PagePublic, Position: r.Position, Version: r.Version, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

func publicAudiences(all []Audience) []Audience {
	out := make([]Audience, len(all))
	for i, a := range all {
		if !a.PagePublic {
			a.PageSlug = ""
		}
		out[i] = a
	}
	return out
}

// AudienceForEditing returns one audience with its page link whatever the
// page's status.
func (s *Service) AudienceForEditing(ctx context.Context, key string) (*Audience, error) {
	if !validSlug(key) {
		return nil, audienceNotFound(key)
	}
	r, err := store.Q.AudienceGetByKey(ctx, s.db, store.AudienceGetByKeyParams{Key: key, Now: s.now()})
	if store.IsNotFound(err) {
		return nil, audienceNotFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("load audience: %w", err)
	}
	return &Audience{ID: r.ID, Key: r.Key, Name: r.Name, Message: r.Message, PageSlug: store.Text(r.PageSlug),
		PagePublic: r.PagePublic, Position: r.Position, Version: r.Version, UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// AudienceFields are an audience's editable fields; on update only those
// set change, and an empty PageSlug removes the page link.
type AudienceFields struct {
	Key, Name, Message, PageSlug *string
	// Position orders the list (lower first); new audiences go last.
	Position *int32
}

// CreateAudience adds an audience.
func (s *Service) CreateAudience(ctx context.Context, f AudienceFields) (*Audience, error) {
	if f.Key == nil || f.Name == nil {
		return nil, hpa.Invalid("body", "key and name are required")
	}
	if err := validateAudience(*f.Key, *f.Name, store.Text(f.Message)); err != nil {
		return nil, err
	}
	err := s.write(ctx, func(tx pgx.Tx) error {
		pageID, err := resolvePage(ctx, tx, f.PageSlug, "body.page_slug")
		if err != nil {
			return err
		}
		position := f.Position
		if position == nil {
			next, err := store.Q.AudienceNextPosition(ctx, tx)
			if err != nil {
				return fmt.Errorf("audience position: %w", err)
			}
			position = &next
		}
		row, err := store.Q.AudienceInsert(ctx, tx, store.AudienceInsertParams{Key: *f.Key, Name: *f.Name,
			Message: store.Text(f.Message), PageID: pageID, Position: *position})
		if store.IsUniqueViolation(err, "audiences_key_key") {
			return audienceKeyTaken(*f.Key)
		}
		if err != nil {
			return fmt.Errorf("create audience: %w", err)
		}
		return recordChange(ctx, tx, "audience.create", "audience", row.ID.String(), map[string]any{"key": row.Key})
	})
	if err != nil {
		return nil, err
	}
	return s.AudienceForEditing(ctx, *f.Key)
}

// UpdateAudience changes an audience if it is still the version the
// editor read.
func (s *Service) UpdateAudience(ctx context.Context, key string, pre Precondition, f AudienceFields) (*Audience, error) {
	newKey := key
	err := s.write(ctx, func(tx pgx.Tx) error {
		current, err := lockAudience(ctx, tx, key, pre)
		if err != nil {
			return err
		}
		p := store.AudienceUpdateParams{ID: current.ID, Version: current.Version, Key: current.Key, Name: current.Name,
			Message: current.Message, PageID: current.PageID, Position: current.Position}
		if f.Key != nil {
			p.Key = *f.Key
		}
		if f.Name != nil {
			p.Name = *f.Name
		}
		if f.Message != nil {
			p.Message = *f.Message
		}
		if f.Position != nil {
			p.Position = *f.Position
		}
		if err := validateAudience(p.Key, p.Name, p.Message); err != nil {
			return err
		}
		if f.PageSlug != nil {
			if p.PageID, err = resolvePage(ctx, tx, f.PageSlug, "body.page_slug"); err != nil {
				return err
			}
		}
		row, err := store.Q.AudienceUpdate(ctx, tx, p)
		if store.IsUniqueViolation(err, "audiences_key_key") {
			return audienceKeyTaken(p.Key)
		}
		if err != nil {
			return fmt.Errorf("update audience: %w", err)
		}
		newKey = row.Key
		return recordChange(ctx, tx, "audience.update", "audience", row.ID.String(), map[string]any{"key": row.Key, "version": row.Version})
	})
	if err != nil {
		return nil, err
	}
	return s.AudienceForEditing(ctx, newKey)
}

// DeleteAudience removes an audience if it is still the version the
// editor read. Enquiries that named it keep its key.
func (s *Service) DeleteAudience(ctx context.Context, key string, pre Precondition) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		current, err := lockAudience(ctx, tx, key, pre)
		if err != nil {
			return err
		}
		if _, err := store.Q.AudienceDelete(ctx, tx, store.AudienceDeleteParams{ID: current.ID, Version: current.Version}); err != nil {
			return fmt.Errorf("delete audience: %w", err)
		}
		return recordChange(ctx, tx, "audience.delete", "audience", current.ID.String(), map[string]any{"key": current.Key})
	})
}

// lockAudience locks an audience for a change and checks the editor read
// its current version.
func lockAudience(ctx context.Context, tx pgx.Tx, key string, pre Precondition) (store.Audience, error) {
	if !validSlug(key) {
		return store.Audience{}, audienceNotFound(key)
	}
	current, err := store.Q.AudienceGetByKeyForUpdate(ctx, tx, key)
	if store.IsNotFound(err) {
		return store.Audience{}, audienceNotFound(key)
	}
	if err != nil {
		return store.Audience{}, fmt.Errorf("lock audience: %w", err)
	}
	return current, pre.check(recordETag(current.ID, current.Version), "audience")
}

func validateAudience(key, name, message string) error {
	if err := checkText(map[string]string{"body.name": name, "body.message": message}); err != nil {
		return err
	}
	switch {
	case !slugPattern.MatchString(key) || len(key) > 60:
		return hpa.Invalid("body.key", "must be 1 to 60 lower-case letters, digits and single hyphens, such as nhs-leader")
	case name == "" || utf8.RuneCountInString(name) > 100:
		return hpa.Invalid("body.name", "must be 1 to 100 characters")
	case utf8.RuneCountInString(message) > 1000:
		return hpa.Invalid("body.message", "must be at most 1000 characters")
	}
	return nil
}

// resolvePage turns a page slug into its ID: nil for no slug (or an empty
// one), an EINVALID naming location when no page has it.
func resolvePage(ctx context.Context, db store.DBTX, slug *string, location string) (*uuid.UUID, error) {
	if slug == nil || *slug == "" {
		return nil, nil
	}
	if !validSlug(*slug) {
		return nil, hpa.Invalid(location, fmt.Sprintf("there is no page %q", *slug))
	}
	row, err := store.Q.PageGetBySlug(ctx, db, *slug)
	if store.IsNotFound(err) {
		return nil, hpa.Invalid(location, fmt.Sprintf("there is no page %q", *slug))
	}
	if err != nil {
		return nil, fmt.Errorf("find page: %w", err)
	}
	return &row.ID, nil
}

func audienceNotFound(key string) error {
	return hpa.Errorf(hpa.ENOTFOUND, "there is no audience %q", key)
}

func audienceKeyTaken(key string) error {
	return hpa.Errorf(hpa.ECONFLICT, "another audience already has the key %q", key).WithReason(ReasonAudienceKeyTaken)
}
