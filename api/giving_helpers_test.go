package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// The test webhook secrets: the current one and one being rotated out.
const (
	webhookSecret    = "whsec_test_current_secret"
	oldWebhookSecret = "whsec_test_previous_secret"
)

// startGiving runs the service against stripe-mock.
func startGiving(t testing.TB, env map[string]string) *apitest.Server {
	t.Helper()
	if _, ok := env["HPA_STRIPE_API_URL"]; !ok {
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["HPA_STRIPE_API_URL"] = stripemock.Start(t)
	}
	vars := map[string]string{
		"HPA_STRIPE_SECRET_KEY":      "sk_test_123",
		"HPA_STRIPE_WEBHOOK_SECRETS": webhookSecret + "," + oldWebhookSecret,
		"HPA_SITE_URL":               "https://www.hpa.example",
	}
	for k, v := range env {
		vars[k] = v
	}
	return apitest.Start(t, vars)
}

// startGivingBehindProxy runs the service against stripe-mock behind a
// proxy that fails calls on demand.
func startGivingBehindProxy(t testing.TB) (*apitest.Server, *stripemock.Proxy) {
	t.Helper()
	proxy := stripemock.StartProxy(t)
	return startGiving(t, map[string]string{"HPA_STRIPE_API_URL": proxy.URL}), proxy
}

var eventSeq atomic.Int64

// newEventID returns a fresh Stripe-like event ID.
func newEventID() string {
	return fmt.Sprintf("evt_test_%d_%d", time.Now().UnixNano(), eventSeq.Add(1))
}

// deliver posts a signed event as Stripe would.
func deliver(srv *apitest.Server, payload []byte, signature string) *apitest.Response {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if signature != "" {
		h.Set("Stripe-Signature", signature)
	}
	return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhooks/stripe", Body: payload, Header: h})
}

// sendEvent signs and delivers an event, failing unless Stripe would
// count it delivered; it returns the outcome.
func sendEvent(t testing.TB, srv *apitest.Server, payload []byte) string {
	t.Helper()
	r := deliver(srv, payload, stripemock.Sign(payload, time.Now(), webhookSecret))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d %s", r.StatusCode, r.Body)
	}
	var ack struct{ Outcome string }
	r.JSON(t, &ack)
	return ack.Outcome
}

// checkoutCompleted is a paid one-off checkout.session.completed payload.
func checkoutCompleted(checkoutID, campaign string, amount int64, email, name, customer, paymentIntent string) map[string]any {
	return map[string]any{
		"id": "cs_test_" + paymentIntent, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
		"amount_total": amount, "currency": "gbp", "customer": customer, "payment_intent": paymentIntent, "client_reference_id": checkoutID,
		"customer_details": map[string]any{"email": email, "name": name},
		"metadata":         map[string]any{"hpa_checkout_id": checkoutID, "hpa_campaign": campaign},
	}
}

// subscriptionCheckout is a completed monthly checkout.
func subscriptionCheckout(checkoutID string, amount int64, email, customer, subscription string) map[string]any {
	return map[string]any{
		"id": "cs_test_" + subscription, "object": "checkout.session", "mode": "subscription", "status": "complete", "payment_status": "paid",
		"amount_total": amount, "currency": "gbp", "customer": customer, "subscription": subscription,
		"customer_details": map[string]any{"email": email, "name": "Monthly Donor"},
		"metadata":         map[string]any{"hpa_checkout_id": checkoutID},
	}
}

// invoicePaid is a paid subscription invoice as Stripe sends it in
// invoice.paid: its payments are not included (an expandable field), so
// the handler must ask Stripe which payment paid it.
func invoicePaid(invoice, subscription, customer, email, checkoutID string, amount int64) map[string]any {
	return map[string]any{
		"id": invoice, "object": "invoice", "status": "paid", "amount_paid": amount, "amount_due": amount, "currency": "gbp",
		"customer": customer, "customer_email": email,
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
			"subscription": subscription, "metadata": map[string]any{"hpa_checkout_id": checkoutID}}},
	}
}

// chargeRefunded is a charge refunded (in part) by amountRefunded.
func chargeRefunded(charge, paymentIntent string, amount, amountRefunded int64) map[string]any {
	return map[string]any{"id": charge, "object": "charge", "amount": amount, "amount_refunded": amountRefunded, "currency": "gbp",
		"payment_intent": paymentIntent, "refunded": amount == amountRefunded, "status": "succeeded", "paid": true}
}

// countRows runs a count query.
func countRows(t testing.TB, srv *apitest.Server, query string, args ...any) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
