package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/webhooks"
)

type webhookAttempt struct {
	Attempt        int       `json:"attempt"`
	AttemptedAt    time.Time `json:"attempted_at"`
	ResponseStatus int       `json:"response_status,omitempty" doc:"The receiver's HTTP status; absent if it gave none (refused, unreachable, timed out)."`
	LatencyMs      int64     `json:"latency_ms"`
	Error          string    `json:"error,omitempty" doc:"Why the attempt failed; never anything the receiver sent."`
}

type webhookDelivery struct {
	ID             string           `json:"id" example:"4711"`
	MessageID      string           `json:"message_id" doc:"The webhook-id header: the same for every attempt and redelivery of this event."`
	EventType      string           `json:"event_type"`
	Status         string           `json:"status" enum:"pending,succeeded,failed,cancelled" doc:"pending: waiting for its next attempt; failed: retries used up; cancelled: the person withdrew consent or was erased, or the event expired."`
	Attempts       int              `json:"attempts"`
	NextAttemptAt  *time.Time       `json:"next_attempt_at,omitempty"`
	LastAttemptAt  *time.Time       `json:"last_attempt_at,omitempty"`
	ResponseStatus int              `json:"response_status,omitempty" doc:"The last attempt's HTTP status."`
	LatencyMs      *int64           `json:"latency_ms,omitempty" doc:"The last attempt's duration."`
	Error          string           `json:"error,omitempty" doc:"Why the last attempt failed."`
	SucceededAt    *time.Time       `json:"succeeded_at,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	Log            []webhookAttempt `json:"attempts_log,omitempty" doc:"Every attempt, oldest first (on GET of one delivery)."`
}

func webhookDeliveryBody(d *webhooks.Delivery) webhookDelivery {
	b := webhookDelivery{ID: strconv.FormatInt(d.ID, 10), MessageID: d.MessageID, EventType: d.EventType, Status: d.Status, Attempts: d.Attempts,
		NextAttemptAt: d.NextAttemptAt, LastAttemptAt: d.LastAttemptAt, ResponseStatus: d.LastStatus, Error: d.LastError,
		SucceededAt: d.SucceededAt, CreatedAt: d.CreatedAt}
	if d.LastAttemptAt != nil {
		ms := d.LastLatency.Milliseconds()
		b.LatencyMs = &ms
	}
	for _, a := range d.Log {
		b.Log = append(b.Log, webhookAttempt{Attempt: a.Number, AttemptedAt: a.At, ResponseStatus: a.ResponseStatus, LatencyMs: a.Latency.Milliseconds(), Error: a.Error})
	}
	return b
}

type webhookDeliveryListInput struct {
	ID string `path:"id" maxLength:"64" doc:"Webhook endpoint ID."`
	PageQuery
	Status string `query:"status" enum:"pending,succeeded,failed,cancelled" doc:"Only deliveries in this state."`
}

type webhookDeliveryIDInput struct {
	ID         string `path:"id" maxLength:"64" doc:"Webhook endpoint ID."`
	DeliveryID string `path:"delivery_id" maxLength:"20" doc:"Delivery ID."`
}

type webhookDeliveryPage struct {
	Items      []webhookDelivery `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

var errNoWebhookDelivery = hpa.Errorf(hpa.ENOTFOUND, "no delivery with that ID for this endpoint")

// deliveryID parses a delivery ID; anything else names no delivery.
func deliveryID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNoWebhookDelivery
	}
	return id, nil
}

func registerWebhookDeliveries(hapi huma.API, svc webhookService, tags []string) {
	register(hapi, webhookManagers, huma.Operation{
		OperationID: "list-webhook-deliveries",
		Method:      http.MethodGet,
		Path:        "/v1/webhook-endpoints/{id}/deliveries",
		Summary:     "An endpoint's delivery log",
		Description: "Deliveries newest first, with their status, last response code, latency and attempts; kept 30 days.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *webhookDeliveryListInput) (*struct{ Body webhookDeliveryPage }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		var cur struct {
			Before int64 `json:"b"`
		}
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		list, err := svc.Deliveries(ctx, ownerOf(ctx), id, in.Status, cur.Before, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body webhookDeliveryPage }{}
		out.Body.Items, out.Body.NextCursor = pageOf(list, in.Limit, webhookDeliveryBody, func(last *webhooks.Delivery) any {
			return struct {
				Before int64 `json:"b"`
			}{last.ID}
		})
		return out, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID: "get-webhook-delivery",
		Method:      http.MethodGet,
		Path:        "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}",
		Summary:     "One delivery with every attempt",
		Description: "A delivery and the log of its attempts.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *webhookDeliveryIDInput) (*struct{ Body webhookDelivery }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		did, err := deliveryID(in.DeliveryID)
		if err != nil {
			return nil, err
		}
		d, err := svc.Delivery(ctx, ownerOf(ctx), id, did)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookDelivery }{Body: webhookDeliveryBody(d)}, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID:   "redeliver-webhook",
		Method:        http.MethodPost,
		Path:          "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver",
		Summary:       "Send a delivery again",
		Description:   "Sends a delivery that succeeded, failed or was cancelled again now, with a fresh round of retries and the same webhook-id. Events are kept 7 days; older ones cannot be sent again (409 event-expired).",
		Tags:          tags,
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *webhookDeliveryIDInput) (*struct{ Body webhookDelivery }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		did, err := deliveryID(in.DeliveryID)
		if err != nil {
			return nil, err
		}
		d, err := svc.Redeliver(ctx, ownerOf(ctx), id, did)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookDelivery }{Body: webhookDeliveryBody(d)}, nil
	})
}
