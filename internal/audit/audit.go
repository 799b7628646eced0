// Package audit records who read or changed personal data, content, money
// or access, in an append-only table. Events carry identifiers only, never
// the personal data itself.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/store"
)

// Actor types.
const (
	ActorStaff     = "staff"
	ActorAPIKey    = "api_key"
	ActorMember    = "member"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Actor is who acts: a staff member, an API key, a member or the system.
type Actor struct {
	Type string
	ID   uuid.UUID // uuid.Nil for system and anonymous
}

type actorKey struct{}

// WithActor returns a context whose audit events are attributed to a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, or anonymous.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Type: ActorAnonymous}
}

// Event is one audited action. Action is dotted, e.g. "staff.update".
type Event struct {
	Action     string
	TargetType string
	TargetID   string
	// Details holds identifiers and flags only (e.g. {"roles": ["editor"]}).
	Details map[string]any
}

// Record appends e, attributed to the context's actor and request, on db
// (pass the transaction that makes the change, so both land or neither).
func Record(ctx context.Context, db store.DBTX, e Event) error {
	return RecordAs(ctx, db, ActorFrom(ctx), e)
}

// RecordAs appends e attributed to actor.
func RecordAs(ctx context.Context, db store.DBTX, actor Actor, e Event) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
	}
	var actorID *uuid.UUID
	if actor.ID != uuid.Nil {
		actorID = &actor.ID
	}
	err := store.Q.AuditInsert(ctx, db, store.AuditInsertParams{
		ActorType:  actor.Type,
		ActorID:    actorID,
		Action:     e.Action,
		TargetType: store.NullText(e.TargetType),
		TargetID:   store.NullText(e.TargetID),
		RequestID:  store.NullText(logging.RequestID(ctx)),
		Details:    details,
	})
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Action, err)
	}
	return nil
}

// Entry is a stored event.
type Entry struct {
	ID         int64
	OccurredAt time.Time
	Actor      Actor
	Action     string
	TargetType string
	TargetID   string
	RequestID  string
	Details    map[string]any
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	ActorID    uuid.UUID
	Action     string // exact, or a prefix such as "auth" matching "auth.login"
	TargetType string
	TargetID   string
	Since      time.Time
	Until      time.Time
	BeforeID   int64 // cursor: only events older than this one
	Limit      int
}

// List returns events newest first.
func List(ctx context.Context, db store.DBTX, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		return nil, hpa.Invalid("query.limit", "must be between 1 and 500")
	}
	p := store.AuditListParams{PageSize: int32(f.Limit)}
	if f.BeforeID > 0 {
		p.BeforeID = &f.BeforeID
	}
	if f.ActorID != uuid.Nil {
		p.ActorID = &f.ActorID
	}
	p.Action, p.TargetType, p.TargetID = store.NullText(f.Action), store.NullText(f.TargetType), store.NullText(f.TargetID)
	if !f.Since.IsZero() {
		p.Since = &f.Since
	}
	if !f.Until.IsZero() {
		p.Until = &f.Until
	}
	rows, err := store.Q.AuditList(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	out := make([]Entry, 0, len(rows))
	for _, r := range rows {
		e := Entry{ID: r.ID, OccurredAt: r.OccurredAt, Actor: Actor{Type: r.ActorType}, Action: r.Action,
			TargetType: store.Text(r.TargetType), TargetID: store.Text(r.TargetID), RequestID: store.Text(r.RequestID)}
		if r.ActorID != nil {
			e.Actor.ID = *r.ActorID
		}
		if err := json.Unmarshal(r.Details, &e.Details); err != nil {
			return nil, fmt.Errorf("audit event %d details: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Log reads the audit log.
type Log struct{ db store.DBTX }

// NewLog returns the audit log read through db.
func NewLog(db store.DBTX) *Log { return &Log{db: db} }

// List returns events newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) { return List(ctx, l.db, f) }
