package members

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Filter narrows a staff member list. Zero fields do not filter.
type Filter struct {
	Status, Interest, Audience, Source string
	JoinedFrom, JoinedTo               time.Time
	// Query is an exact email address or part of a name.
	Query string
	Limit int
	// After is the cursor: the last member of the previous page.
	AfterCreated time.Time
	AfterID      uuid.UUID
}

// List returns members newest first. Listing is audited: it shows
// personal data.
func (s *Service) List(ctx context.Context, f Filter) ([]*Member, error) {
	p := store.MemberListParams{PageSize: int32(f.Limit), Status: store.NullText(f.Status), Interest: store.NullText(f.Interest),
		Audience: store.NullText(f.Audience), Source: store.NullText(f.Source)}
	if !f.JoinedFrom.IsZero() {
		p.JoinedFrom = &f.JoinedFrom
	}
	if !f.JoinedTo.IsZero() {
		p.JoinedTo = &f.JoinedTo
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if _, dedupe, err := NormaliseEmail(q); err == nil {
			p.EmailHash = s.emailHash(dedupe)
		} else {
			p.NameLike = &q
		}
	}
	if f.AfterID != uuid.Nil {
		p.AfterCreated, p.AfterID = &f.AfterCreated, &f.AfterID
	}
	rows, err := store.Q.MemberList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	out := make([]*Member, 0, len(rows))
	for _, r := range rows {
		m, err := s.memberFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	err = audit.Record(ctx, s.db, audit.Event{Action: "member.list", Details: map[string]any{"count": len(out)}})
	return out, err
}

// Get returns a member's record for staff; special-category data only when
// withSensitive (the membership role). Every read is audited.
func (s *Service) Get(ctx context.Context, id uuid.UUID, withSensitive bool) (*Record, error) {
	rec, err := s.record(ctx, s.db, id, withSensitive)
	if err != nil {
		return nil, err
	}
	action := "member.read"
	if withSensitive && rec.Sensitive != nil {
		action = "member.read_special_category"
	}
	return rec, audit.Record(ctx, s.db, audit.Event{Action: action, TargetType: "member", TargetID: id.String()})
}

// UpdateByStaff changes a member's details for them (e.g. on the phone);
// consent changes are recorded with source "staff".
func (s *Service) UpdateByStaff(ctx context.Context, id uuid.UUID, c ProfileChange) (*Member, error) {
	m, err := s.UpdateProfile(ctx, id, c, SourceStaff)
	if err != nil {
		return nil, err
	}
	return m, audit.Record(ctx, s.db, audit.Event{Action: "member.update", TargetType: "member", TargetID: id.String()})
}

// AddNote adds a staff note to a member.
func (s *Service) AddNote(ctx context.Context, id, author uuid.UUID, body string) (*Note, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, hpa.Invalid("body.body", "must not be blank")
	}
	var out *Note
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if row.Status == StatusErased {
			return hpa.Errorf(hpa.ENOTFOUND, "no member with that ID")
		}
		n, err := store.Q.MemberNoteInsert(ctx, tx, store.MemberNoteInsertParams{MemberID: id, AuthorID: author, Body: body})
		if err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		out = &Note{ID: n.ID, AuthorID: n.AuthorID, Body: n.Body, CreatedAt: n.CreatedAt}
		return audit.Record(ctx, tx, audit.Event{Action: "member.note", TargetType: "member", TargetID: id.String()})
	})
	return out, err
}

// Count is one figure in the aggregate statistics.
type Count struct {
	Key string
	N   int64
}

// Stats are aggregate membership figures with no personal data.
type Stats struct {
	ByStatus, ByInterest, ByAudience, BySource, JoinsByMonth []Count
}

// Stats computes the aggregate figures.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	var out Stats
	status, err := store.Q.MemberCountsByStatus(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("member stats: %w", err)
	}
	for _, r := range status {
		out.ByStatus = append(out.ByStatus, Count{r.Status, r.N})
	}
	interest, err := store.Q.MemberCountsByInterest(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("member stats: %w", err)
	}
	for _, r := range interest {
		out.ByInterest = append(out.ByInterest, Count{r.Interest, r.N})
	}
	audience, err := store.Q.MemberCountsByAudience(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("member stats: %w", err)
	}
	for _, r := range audience {
		out.ByAudience = append(out.ByAudience, Count{r.Audience, r.N})
	}
	source, err := store.Q.MemberCountsBySource(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("member stats: %w", err)
	}
	for _, r := range source {
		out.BySource = append(out.BySource, Count{r.Source, r.N})
	}
	months, err := store.Q.MemberJoinsByMonth(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("member stats: %w", err)
	}
	for _, r := range months {
		out.JoinsByMonth = append(out.JoinsByMonth, Count{r.Month, r.N})
	}
	return &out, nil
}
