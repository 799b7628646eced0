package members

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
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
