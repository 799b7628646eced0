package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
)

// auditReader lists audit events.
type auditReader interface {
	List(ctx context.Context, f audit.Filter) ([]audit.Entry, error)
}

type auditEvent struct {
	ID         string         `json:"id"`
	OccurredAt time.Time      `json:"occurred_at"`
	ActorType  string         `json:"actor_type" enum:"staff,api_key,member,system,anonymous"`
	ActorID    string         `json:"actor_id,omitempty" format:"uuid"`
	Action     string         `json:"action" example:"staff.update"`
	TargetType string         `json:"target_type,omitempty" example:"staff"`
	TargetID   string         `json:"target_id,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
	Details    map[string]any `json:"details" doc:"Identifiers and flags only; never personal data."`
}

type auditPage struct {
	Items      []auditEvent `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last page."`
}

type auditListInput struct {
	PageQuery
	ActorID    string `query:"actor_id" format:"uuid" doc:"Only events by this staff member, API key or member."`
	Action     string `query:"action" maxLength:"100" pattern:"^[a-z_.]+$" doc:"An action such as auth.login, or a prefix such as auth."`
	TargetType string `query:"target_type" maxLength:"50"`
	TargetID   string `query:"target_id" maxLength:"100"`
	DateRangeQuery
	Since time.Time `query:"since" deprecated:"true" doc:"Only events at or after this time (RFC 3339). Deprecated since 1.2.0: use from; since goes in 2.0.0."`
	Until time.Time `query:"until" deprecated:"true" doc:"Only events before this time (RFC 3339). Deprecated since 1.2.0: use to; until goes in 2.0.0."`
}

func registerAudit(hapi huma.API, events auditReader) {
	register(hapi, adminOnly, huma.Operation{
		OperationID: "list-audit-events",
		Method:      http.MethodGet,
		Path:        "/v1/audit-events",
		Summary:     "List audit events",
		Description: "Who read or changed personal data, content, money or access: newest first, filtered, cursor-paginated. Events carry identifiers, never the personal data itself.",
		Tags:        []string{"Audit"},
	}, func(ctx context.Context, in *auditListInput) (*struct{ Body auditPage }, error) {
		since, until, err := in.narrow(in.Since, in.Until)
		if err != nil {
			return nil, err
		}
		f := audit.Filter{Action: in.Action, TargetType: in.TargetType, TargetID: in.TargetID, Since: since, Until: until, Limit: in.Limit}
		if in.ActorID != "" {
			id, err := uuidField(in.ActorID, "query.actor_id")
			if err != nil {
				return nil, err
			}
			f.ActorID = id
		}
		if err := decodeCursor(in.Cursor, &f.BeforeID); err != nil {
			return nil, err
		}
		entries, err := events.List(ctx, f)
		if err != nil {
			return nil, err
		}
		var page auditPage
		page.Items, page.NextCursor = pageOf(entries, in.Limit, func(e audit.Entry) auditEvent {
			ev := auditEvent{ID: strconv.FormatInt(e.ID, 10), OccurredAt: e.OccurredAt.UTC(), ActorType: e.Actor.Type, Action: e.Action,
				TargetType: e.TargetType, TargetID: e.TargetID, RequestID: e.RequestID, Details: e.Details}
			if e.Actor.ID != uuid.Nil {
				ev.ActorID = e.Actor.ID.String()
			}
			if ev.Details == nil {
				ev.Details = map[string]any{}
			}
			return ev
		}, func(last audit.Entry) any { return last.ID })
		return &struct{ Body auditPage }{Body: page}, nil
	})
}
