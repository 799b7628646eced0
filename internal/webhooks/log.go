package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Retention: payloads are kept long enough for the retry schedule and a
// manual redelivery after a partner mends its endpoint; the delivery log
// (which holds no payload) a month.
const (
	PayloadRetention = 7 * 24 * time.Hour
	LogRetention     = 30 * 24 * time.Hour
)

// Delivery is one event's delivery to one endpoint, as its log shows it.
type Delivery struct {
	ID        int64
	MessageID string
	EventType string
	// Status is pending (waiting for its next attempt), succeeded, failed
	// (retries used up) or cancelled (the person withdrew or was erased,
	// or the payload expired).
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LastAttemptAt *time.Time
	LastStatus    int
	LastLatency   time.Duration
	LastError     string
	SucceededAt   *time.Time
	CreatedAt     time.Time
	// Log is every attempt, oldest first (only from Delivery).
	Log []Attempt
}

// Attempt is one try at a delivery.
type Attempt struct {
	Number         int
	At             time.Time
	ResponseStatus int
	Latency        time.Duration
	Error          string
}

func deliveryFromRow(r store.WebhookDeliveryListRow) *Delivery {
	d := &Delivery{ID: r.ID, MessageID: MessageID(r.EventID), EventType: r.EventType, Status: r.Status, Attempts: int(r.Attempts),
		LastAttemptAt: r.LastAttemptAt, LastError: store.Text(r.LastError), SucceededAt: r.SucceededAt, CreatedAt: r.CreatedAt}
	if r.Status == "pending" {
		d.NextAttemptAt = &r.NextAttemptAt
	}
	if r.LastStatus != nil {
		d.LastStatus = int(*r.LastStatus)
	}
	if r.LastLatencyMs != nil {
		d.LastLatency = time.Duration(*r.LastLatencyMs) * time.Millisecond
	}
	return d
}

// Deliveries lists an endpoint's deliveries, newest first: all, or those
// with status; before continues a previous page (the last ID it showed).
func (s *Service) Deliveries(ctx context.Context, owner Owner, endpointID uuid.UUID, status string, before int64, limit int) ([]*Delivery, error) {
	if _, err := s.get(ctx, s.db, owner, endpointID); err != nil {
		return nil, err
	}
	p := store.WebhookDeliveryListParams{EndpointID: endpointID, Status: store.NullText(status), PageSize: int32(limit)}
	if before > 0 {
		p.BeforeID = &before
	}
	rows, err := store.Q.WebhookDeliveryList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	out := make([]*Delivery, len(rows))
	for i, r := range rows {
		out[i] = deliveryFromRow(r)
	}
	return out, nil
}

var errNoDelivery = hpa.Errorf(hpa.ENOTFOUND, "no delivery with that ID for this endpoint")

// Delivery returns one delivery with its attempts.
func (s *Service) Delivery(ctx context.Context, owner Owner, endpointID uuid.UUID, id int64) (*Delivery, error) {
	if _, err := s.get(ctx, s.db, owner, endpointID); err != nil {
		return nil, err
	}
	return s.delivery(ctx, s.db, endpointID, id)
}

func (s *Service) delivery(ctx context.Context, db store.DBTX, endpointID uuid.UUID, id int64) (*Delivery, error) {
	row, err := store.Q.WebhookDeliveryGet(ctx, db, store.WebhookDeliveryGetParams{ID: id, EndpointID: endpointID})
	if store.IsNotFound(err) {
		return nil, errNoDelivery
	}
	if err != nil {
		return nil, fmt.Errorf("webhook delivery: %w", err)
	}
	d := deliveryFromRow(store.WebhookDeliveryListRow(row))
	attempts, err := store.Q.WebhookAttemptList(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("webhook delivery: %w", err)
	}
	d.Log = make([]Attempt, len(attempts))
	for i, a := range attempts {
		d.Log[i] = Attempt{Number: int(a.Attempt), At: a.AttemptedAt, Latency: time.Duration(a.LatencyMs) * time.Millisecond, Error: store.Text(a.Error)}
		if a.ResponseStatus != nil {
			d.Log[i].ResponseStatus = int(*a.ResponseStatus)
		}
	}
	return d, nil
}

// Redeliver sends a delivery that succeeded, failed or was cancelled
// again, now, with a fresh round of retries. It keeps its webhook-id, so
// a receiver that had it already can tell.
func (s *Service) Redeliver(ctx context.Context, owner Owner, endpointID uuid.UUID, id int64) (*Delivery, error) {
	var out *Delivery
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		ep, err := s.get(ctx, tx, owner, endpointID)
		if err != nil {
			return err
		}
		current, err := s.delivery(ctx, tx, endpointID, id)
		if err != nil {
			return err
		}
		switch _, err := store.Q.WebhookDeliveryRestart(ctx, tx, store.WebhookDeliveryRestartParams{ID: id, EndpointID: endpointID, Now: s.now()}); {
		case store.IsNotFound(err) && current.Status == "pending":
			return hpa.Errorf(hpa.ECONFLICT, "this delivery is still being attempted").WithReason(ReasonDeliveryPending)
		case store.IsNotFound(err):
			return hpa.Errorf(hpa.ECONFLICT, "this event is no longer kept (cancelled, or older than %d days) and cannot be sent again", int(PayloadRetention.Hours()/24)).WithReason(ReasonEventExpired)
		case err != nil:
			return fmt.Errorf("redeliver: %w", err)
		}
		if ep.Enabled {
			if err := s.kick(ctx, tx, endpointID); err != nil {
				return err
			}
		}
		if out, err = s.delivery(ctx, tx, endpointID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook_delivery.redeliver", TargetType: "webhook_endpoint", TargetID: endpointID.String(),
			Details: map[string]any{"delivery_id": id}})
	})
	return out, err
}

// Purge wipes payloads past PayloadRetention and deletes events and their
// delivery log past LogRetention, for the retention job.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	now := s.now()
	n, err := store.Q.WebhookEventsWipe(ctx, s.db, store.WebhookEventsWipeParams{PayloadsBefore: now.Add(-PayloadRetention), EventsBefore: now.Add(-LogRetention)})
	if err != nil {
		return 0, fmt.Errorf("purge webhook events: %w", err)
	}
	return n, nil
}
