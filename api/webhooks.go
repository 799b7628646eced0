package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/logging"
)

type stripeWebhookInput struct {
	Signature string `header:"Stripe-Signature" maxLength:"2048" doc:"Stripe's signature: t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">[,v1=…]."`
	RawBody   []byte `contentType:"application/json"`
}

type webhookAck struct {
	Received bool   `json:"received" doc:"Always true: the event was accepted."`
	Outcome  string `json:"outcome" enum:"processed,duplicate,ignored,deferred" doc:"processed: applied; duplicate: already applied earlier, nothing done; ignored: an event type or object HPA does not act on (logged); deferred: about a payment not in the ledger yet, applied when it arrives."`
}

// webhookMaxBytes is far above any Stripe event and well below the
// general cap.
const webhookMaxBytes = 256 << 10

func registerWebhooks(hapi huma.API, svc *donations.Service) {
	register(hapi, public, huma.Operation{
		OperationID: "receive-stripe-webhook",
		Method:      http.MethodPost,
		Path:        "/v1/webhooks/stripe",
		Summary:     "Receive a Stripe event",
		Description: "Stripe's webhook endpoint. The `Stripe-Signature` header must carry a valid HMAC-SHA256 signature of `t.body` with a configured signing secret (several during rotation; any `v1` signature may match) and a timestamp within the tolerance window (`HPA_STRIPE_WEBHOOK_TOLERANCE`, default 5 minutes) — otherwise 400 with `signature-missing`, `signature-malformed`, `signature-invalid` or `signature-expired`. Each event ID is applied once, in the same transaction as its effect; a redelivery answers 200 with `duplicate`. An event of a type HPA acts on sent in a Stripe API version other than the one this server reads (the endpoint is not pinned to it; see docs/donations.md) is not applied: 503 `stripe-api-version-unsupported`, so Stripe retries it, and the treasurers are emailed at its first delivery. A 5xx means nothing was stored and Stripe should deliver again. " +
			"Unlike every other operation, it ignores query parameters rather than refusing them: the endpoint's URL is set in Stripe's dashboard, and an event must never be refused for a parameter added there.",
		Tags:         []string{"Donations"},
		Errors:       []int{http.StatusBadRequest, http.StatusServiceUnavailable},
		MaxBodyBytes: webhookMaxBytes,
		// The signature covers the exact bytes: verify them, never a re-encoding.
		SkipValidateBody: true,
		Metadata:         map[string]any{signedBodyKey: true, anyQueryKey: true},
	}, func(ctx context.Context, in *stripeWebhookInput) (*struct{ Body webhookAck }, error) {
		ev, err := svc.VerifyWebhook(in.RawBody, in.Signature)
		if err != nil {
			return nil, webhookProblem(ctx, err)
		}
		outcome, err := svc.HandleEvent(ctx, in.RawBody, ev)
		if err != nil {
			return nil, webhookProblem(ctx, err)
		}
		return &struct{ Body webhookAck }{Body: webhookAck{Received: true, Outcome: string(outcome)}}, nil
	})
}

// webhookProblem answers a refused delivery with 400 and its reason;
// anything else stays an error (5xx), so Stripe retries.
func webhookProblem(ctx context.Context, err error) error {
	var we *donations.WebhookError
	if !errors.As(err, &we) {
		return err
	}
	p := newProblem(http.StatusBadRequest, we.Reason, we.Message)
	p.RequestID = logging.RequestID(ctx)
	p.Instance = "/v1/webhooks/stripe"
	return p
}
