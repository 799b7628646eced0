package donations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// WebhookError says why a webhook delivery was refused (400): the reason
// is a stable code.
type WebhookError struct {
	Reason  string
	Message string
}

func (e *WebhookError) Error() string { return e.Reason + ": " + e.Message }

// Outcome is what happened to a verified event.
type Outcome string

// Outcomes.
const (
	Processed Outcome = "processed" // its effect is in the ledger
	Duplicate Outcome = "duplicate" // already applied: nothing done
	Ignored   Outcome = "ignored"   // a type or object we do not act on; recorded and logged
	Deferred  Outcome = "deferred"  // about a payment not in the ledger yet; applied when it arrives
)

// VerifyWebhook checks the Stripe-Signature header (HMAC-SHA256 over
// "t.payload" with any configured secret, any of the v1 signatures, the
// timestamp within the tolerance either way) and decodes the event.
func (s *Service) VerifyWebhook(payload []byte, header string) (*stripe.Event, error) {
	if len(s.settings.WebhookSecrets) == 0 {
		return nil, &WebhookError{"signature-invalid", "this server has no webhook signing secret configured"}
	}
	if t, ok := signatureTime(header); ok && t.Sub(s.now()) > s.settings.WebhookTolerance {
		return nil, &WebhookError{"signature-expired", "the signature's timestamp is in the future"}
	}
	verified := false
	for _, secret := range s.settings.WebhookSecrets {
		err := webhook.ValidatePayloadWithTolerance(payload, header, secret, s.settings.WebhookTolerance)
		switch {
		case err == nil:
			verified = true
		case errors.Is(err, webhook.ErrNotSigned):
			return nil, &WebhookError{"signature-missing", "the Stripe-Signature header is missing"}
		case errors.Is(err, webhook.ErrInvalidHeader):
			return nil, &WebhookError{"signature-malformed", "the Stripe-Signature header is not t=<time>,v1=<signature>"}
		case errors.Is(err, webhook.ErrTooOld):
			return nil, &WebhookError{"signature-expired", "the signature's timestamp is outside the tolerance window (a replay?)"}
		}
		if verified {
			break
		}
	}
	if !verified {
		return nil, &WebhookError{"signature-invalid", "no v1 signature matches this payload"}
	}
	var ev stripe.Event
	if err := json.Unmarshal(storableJSON(payload), &ev); err != nil || ev.ID == "" || ev.Type == "" || ev.Data == nil || len(ev.Data.Raw) == 0 {
		return nil, &WebhookError{"malformed-event", "the payload is not a Stripe event"}
	}
	return &ev, nil
}

// storableJSON returns a verified payload with what PostgreSQL cannot
// store made storable: bytes that are not UTF-8 and lone UTF-16 surrogate
// escapes (which jsonb refuses) become U+FFFD, as decoding makes them, and
// so do NULs, in values and keys alike. A signed event stands for money
// already taken, so its text is kept as near as can be rather than
// refused, which would lose the gift. Numbers are kept exactly; a payload
// that is not JSON is returned as it is, for decoding to refuse.
func storableJSON(payload []byte) []byte {
	if utf8.Valid(payload) && !hasRefusedEscape(payload) {
		return payload // nearly every event: nothing to change
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return payload
	}
	b, err := json.Marshal(withoutNUL(v))
	if err != nil {
		return payload
	}
	return b
}

// hasRefusedEscape reports whether payload may hold an escape jsonb
// refuses: \u0000, or one in the surrogate range \ud800–\udfff. It
// errs on the side of yes (an escaped backslash before "u0000" counts).
func hasRefusedEscape(payload []byte) bool {
	for rest := payload; ; {
		i := bytes.Index(rest, []byte(`\u`))
		if i < 0 || i+6 > len(rest) {
			return i >= 0
		}
		hex := rest[i+2 : i+6]
		if string(hex) == "0000" || hex[0] == 'd' || hex[0] == 'D' {
			return true
		}
		rest = rest[i+2:]
	}
}

// withoutNUL replaces NULs in every string and key of a decoded value.
func withoutNUL(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case []any:
		for i := range v {
			v[i] = withoutNUL(v[i])
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[strings.ReplaceAll(k, "\x00", "\uFFFD")] = withoutNUL(x)
		}
		return out
	}
	return v
}

func signatureTime(header string) (time.Time, bool) {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}

// effect applies an event inside its transaction. A non-empty awaiting
// names the payment (payment intent or charge ID) the event needs and the
// ledger does not have yet.
type effect func(ctx context.Context, tx pgx.Tx) (awaiting string, err error)

// handler decodes an event and fetches from Stripe what its payload
// lacks, outside any transaction; a nil effect means the event is ignored.
type handler func(ctx context.Context, ev *stripe.Event) (effect, error)

func (s *Service) handlers() map[stripe.EventType]handler {
	return map[stripe.EventType]handler{
		stripe.EventTypeCheckoutSessionCompleted:             s.onCheckoutCompleted,
		stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded: s.onCheckoutCompleted,
		stripe.EventTypeCheckoutSessionAsyncPaymentFailed:    s.onCheckoutFailed,
		stripe.EventTypeInvoicePaid:                          s.onInvoicePaid,
		stripe.EventTypeInvoicePaymentFailed:                 s.onInvoicePaymentFailed,
		stripe.EventTypeCustomerSubscriptionUpdated:          s.onSubscriptionChanged,
		stripe.EventTypeCustomerSubscriptionDeleted:          s.onSubscriptionChanged,
		stripe.EventTypeChargeRefunded:                       s.onChargeRefunded,
		stripe.EventTypeChargeDisputeCreated:                 s.onDispute,
		stripe.EventTypeChargeDisputeUpdated:                 s.onDispute,
		stripe.EventTypeChargeDisputeClosed:                  s.onDispute,
		stripe.EventTypeChargeDisputeFundsWithdrawn:          s.onDispute,
		stripe.EventTypeChargeDisputeFundsReinstated:         s.onDispute,
		stripe.EventTypeRefundUpdated:                        s.onRefundUpdated,
		stripe.EventTypeChargeRefundUpdated:                  s.onRefundUpdated,
	}
}

// HandleEvent applies a verified event once. The event's ID is stored in
// the same transaction as its effect, so a redelivery (or a concurrent
// one) does nothing, and a failure stores nothing: the error makes the
// endpoint answer 5xx and Stripe delivers again.
func (s *Service) HandleEvent(ctx context.Context, payload []byte, ev *stripe.Event) (Outcome, error) {
	seen, err := store.Q.StripeEventSeen(ctx, s.db, ev.ID)
	if err != nil {
		return "", fmt.Errorf("look up event: %w", err)
	}
	if seen {
		return Duplicate, nil
	}
	var apply effect
	if h, ok := s.handlers()[ev.Type]; ok {
		if !readableVersion(ev.APIVersion) {
			return "", s.refuseUnreadable(ctx, ev)
		}
		if apply, err = h(ctx, ev); err != nil {
			return "", err
		}
	}
	outcome := Processed
	if apply == nil {
		outcome = Ignored
		s.logger.InfoContext(ctx, "stripe event acknowledged without action", "event", ev.ID, "type", string(ev.Type))
	}
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		status := "processed"
		if outcome == Ignored {
			status = "ignored"
		}
		_, err := store.Q.StripeEventInsert(ctx, tx, store.StripeEventInsertParams{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0), Status: status})
		if store.IsNotFound(err) {
			outcome = Duplicate // delivered twice at once: the other delivery applied it
			return errDuplicate
		}
		if err != nil || apply == nil {
			return err
		}
		awaiting, err := apply(ctx, tx)
		if err != nil || awaiting == "" {
			return err
		}
		outcome = Deferred
		return store.Q.StripeEventDefer(ctx, tx, store.StripeEventDeferParams{ID: ev.ID, Awaiting: &awaiting, Payload: storableJSON(payload)})
	})
	if errors.Is(err, errDuplicate) {
		return Duplicate, nil
	}
	if err != nil {
		return "", fmt.Errorf("apply stripe event %s (%s): %w", ev.ID, ev.Type, err)
	}
	return outcome, nil
}

var errDuplicate = errors.New("event already applied")

// applyDeferred applies, inside tx, the events that were waiting for one
// of keys (a payment now in the ledger).
func (s *Service) applyDeferred(ctx context.Context, tx pgx.Tx, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	waiting, err := store.Q.StripeEventListAwaiting(ctx, tx, keys)
	if err != nil {
		return fmt.Errorf("list stripe event awaiting: %w", err)
	}
	for _, row := range waiting {
		var ev stripe.Event
		if err := json.Unmarshal(row.Payload, &ev); err != nil {
			return fmt.Errorf("deferred event %s: %w", row.ID, err)
		}
		h, ok := s.handlers()[ev.Type]
		if !ok {
			continue
		}
		apply, err := h(ctx, &ev)
		if err != nil {
			return err
		}
		if apply != nil {
			if awaiting, err := apply(ctx, tx); err != nil {
				return err
			} else if awaiting != "" {
				continue // still waiting (for another key)
			}
		}
		if err := store.Q.StripeEventMarkProcessed(ctx, tx, row.ID); err != nil {
			return err
		}
	}
	return nil
}

// decode reads an event's object.
func decode(ev *stripe.Event, v any) error {
	if err := json.Unmarshal(ev.Data.Raw, v); err != nil {
		return &WebhookError{"malformed-event", fmt.Sprintf("the %s event's object does not decode", ev.Type)}
	}
	return nil
}
