package members

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// ConsentEvent is one entry in a member's consent history.
type ConsentEvent struct {
	Purpose     string
	Granted     bool
	TextVersion string
	TextHash    []byte
	Source      string
	RequestID   string
	OccurredAt  time.Time
}

// Note is a staff note on a member.
type Note struct {
	ID        int64
	AuthorID  uuid.UUID
	Body      string
	CreatedAt time.Time
}

// Record is everything HPA holds about a member.
type Record struct {
	Member    *Member
	Sensitive *Sensitive // nil unless held and the reader may see it
	Consents  []ConsentEvent
	Notes     []Note
}

func (s *Service) record(ctx context.Context, db store.DBTX, id uuid.UUID, withSensitive bool) (*Record, error) {
	row, err := s.get(ctx, db, id)
	if err != nil {
		return nil, err
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return nil, err
	}
	rec := &Record{Member: m}
	if withSensitive {
		if rec.Sensitive, err = s.sensitive(ctx, db, id); err != nil {
			return nil, err
		}
	}
	events, err := store.Q.ConsentListByMember(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	for _, e := range events {
		rec.Consents = append(rec.Consents, ConsentEvent{Purpose: e.Purpose, Granted: e.Granted, TextVersion: e.TextVersion,
			TextHash: e.TextHash, Source: e.Source, RequestID: store.Text(e.RequestID), OccurredAt: e.OccurredAt})
	}
	notes, err := store.Q.MemberNoteList(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("notes: %w", err)
	}
	for _, n := range notes {
		rec.Notes = append(rec.Notes, Note{ID: n.ID, AuthorID: n.AuthorID, Body: n.Body, CreatedAt: n.CreatedAt})
	}
	return rec, nil
}

// Export is a member's subject access request: everything HPA holds about
// them, including staff notes.
func (s *Service) Export(ctx context.Context, id uuid.UUID) (*Record, error) {
	return s.record(ctx, s.db, id, true)
}

// Erase wipes a member's personal data on their request: profile fields,
// the sealed email, special-category data, notes and tokens. What stays
// is an anonymous tombstone (the ID, status and dates), the keyed email
// hash so the address is never mailed again by mistake, and the consent
// history, which holds no personal data once the row is anonymous. Records
// the law makes HPA keep (Gift Aid declarations and donations, six years)
// are kept by their own capability.
func (s *Service) Erase(ctx context.Context, id uuid.UUID) error {
	return s.withTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.get(ctx, tx, id); err != nil {
			return err
		}
		for _, step := range []func(context.Context, store.DBTX, uuid.UUID) error{
			store.Q.SensitiveDelete, store.Q.MemberNotesDelete, store.Q.MemberTokenDeleteForMember, store.Q.MemberErase,
		} {
			if err := step(ctx, tx, id); err != nil {
				return fmt.Errorf("erase member: %w", err)
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "member.erase", TargetType: "member", TargetID: id.String()})
	})
}
