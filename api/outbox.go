package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail"
)

// outboxService shows and retries queued email.
type outboxService interface {
	List(ctx context.Context, state string, limit int) ([]mail.QueuedEmail, error)
	Retry(ctx context.Context, id int64) error
}

type queuedEmail struct {
	ID          string    `json:"id"`
	Template    string    `json:"template" example:"member-confirm"`
	To          string    `json:"to" example:"s***@example.org" doc:"Masked recipient."`
	State       string    `json:"state" enum:"retryable,discarded,available,scheduled,running,completed,cancelled"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	NextAttempt time.Time `json:"next_attempt_at"`
}

type outboxListInput struct {
	State string `query:"state" default:"discarded" enum:"retryable,discarded,available,scheduled,running,completed,cancelled" doc:"discarded: failed for good (dead letters); retryable: failed, will retry."`
	Limit int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type outboxIDInput struct {
	ID string `path:"id" maxLength:"20" doc:"Outbox email ID."`
}

func registerOutbox(hapi huma.API, outbox outboxService) {
	policy := staffWith(identity.RoleMembership)
	register(hapi, policy, huma.Operation{
		OperationID: "list-outbox",
		Method:      http.MethodGet,
		Path:        "/v1/outbox",
		Summary:     "Queued, retrying and failed email",
		Description: "Email is sent in the background and retried with back-off for about a day; what still fails is kept a week as discarded. Recipients are masked.",
		Tags:        []string{"Outbox"},
	}, func(ctx context.Context, in *outboxListInput) (*struct{ Body queuedEmailList }, error) {
		list, err := outbox.List(ctx, in.State, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body queuedEmailList }{}
		out.Body.Items = make([]queuedEmail, len(list))
		for i, q := range list {
			out.Body.Items[i] = queuedEmail{ID: strconv.FormatInt(q.ID, 10), Template: q.Template, To: q.To, State: q.State, Attempts: q.Attempts,
				MaxAttempts: q.MaxAttempts, LastError: q.LastError, CreatedAt: q.CreatedAt, NextAttempt: q.NextAttempt}
		}
		return out, nil
	})

	register(hapi, policy, huma.Operation{
		OperationID:   "retry-outbox-email",
		Method:        http.MethodPost,
		Path:          "/v1/outbox/{id}/retry",
		Summary:       "Send a failed email again now",
		Description:   "Schedules the email for an immediate attempt. Audited.",
		Tags:          []string{"Outbox"},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *outboxIDInput) (*struct{}, error) {
		id, err := strconv.ParseInt(in.ID, 10, 64)
		if err != nil || id <= 0 {
			return nil, hpa.Errorf(hpa.ENOTFOUND, "no outbox email with that ID")
		}
		return nil, outbox.Retry(ctx, id)
	})
}

// queuedEmailList is the body of GET /v1/outbox, named so its schema is too.
type queuedEmailList struct {
	Items []queuedEmail `json:"items"`
}
