package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// An invoice.paid sent by an endpoint still on an old API version has
// another shape (the subscription and payment intent at the top level,
// no parent): read as today's shape it looks like no subscription
// payment at all. It must not be acknowledged: Stripe retries it, the
// treasurer is told once, and once the endpoint is pinned the retry
// records the monthly gift.
func TestWebhookInAnotherAPIVersionIsRefusedForRetryAndStaffAlerted(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	email, password := srv.NewStaff(t, identity.RoleTreasurer)
	treasurer := srv.Login(t, email, password).AccessToken

	id := newEventID()
	old := stripemock.EventIn("2024-06-20", id, "invoice.paid", time.Now(), map[string]any{
		"id": "in_old", "object": "invoice", "status": "paid", "amount_paid": 1000, "amount_due": 1000, "currency": "gbp",
		"customer": "cus_old", "customer_email": "old@example.org", "subscription": "sub_old", "payment_intent": "pi_old",
		"subscription_details": map[string]any{"metadata": map[string]any{}}})
	for range 2 {
		r := deliver(srv, old, stripemock.Sign(old, time.Now(), webhookSecret))
		if r.StatusCode != http.StatusServiceUnavailable || r.Problem(t).Code != "stripe-api-version-unsupported" {
			t.Fatalf("old-version invoice.paid: %d %s", r.StatusCode, r.Body)
		}
	}
	if n := countRows(t, srv, `SELECT count(*) FROM stripe_events`); n != 0 {
		t.Errorf("%d events stored as applied: a retry would be a duplicate", n)
	}
	alert := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "2024-06-20") })
	if !strings.Contains(alert.Text, id) || !strings.Contains(alert.Text, stripemock.APIVersion) {
		t.Errorf("alert does not name the event and the version to pin: %s", alert.Text)
	}
	// A type HPA does not act on is still acknowledged, whatever its version.
	other := stripemock.EventIn("2024-06-20", newEventID(), "customer.created", time.Now(), map[string]any{"id": "cus_x", "object": "customer"})
	if out := sendEvent(t, srv, other); out != "ignored" {
		t.Errorf("unhandled type: %s", out)
	}

	// The endpoint is pinned: Stripe's retry of the same event comes in today's shape.
	pinned := stripemock.Event(id, "invoice.paid", time.Now(), invoicePaid("in_old", "sub_old", "cus_old", "old@example.org", "", 1000))
	if out := sendEvent(t, srv, pinned); out != "processed" {
		t.Fatalf("pinned retry: %s", out)
	}
	if gifts := listDonations(t, srv, treasurer, "?frequency=monthly"); len(gifts) != 1 || gifts[0].AmountPence != 1000 {
		t.Fatalf("monthly gifts %+v", gifts)
	}
	if n := len(srv.Mail.To(email)); n != 1 {
		t.Errorf("%d alerts, want one for the event however often it came", n)
	}
}

// invoice.paid does not carry the invoice's payments; when asking Stripe
// for them fails, the delivery fails (Stripe retries) instead of storing
// a gift without its payment, which could never be refunded.
func TestInvoicePaidFailsWhenStripeCannotSayWhichPaymentPaidIt(t *testing.T) {
	t.Parallel()
	srv, proxy := startGivingBehindProxy(t)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)

	ev := stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_lookup", "sub_lookup", "cus_lookup", "lu@example.org", "", 1200))
	proxy.Fail("/v1/invoices/", http.StatusServiceUnavailable)
	r := deliver(srv, ev, stripemock.Sign(ev, time.Now(), webhookSecret))
	if r.StatusCode != http.StatusServiceUnavailable || r.Problem(t).Code != "stripe-unavailable" {
		t.Fatalf("invoice.paid while Stripe fails: %d %s", r.StatusCode, r.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donations`) + countRows(t, srv, `SELECT count(*) FROM stripe_events`); n != 0 {
		t.Fatalf("%d rows stored from a delivery that failed", n)
	}

	proxy.Heal()
	if out := sendEvent(t, srv, ev); out != "processed" {
		t.Fatalf("Stripe's retry: %s", out)
	}
	if gifts := listDonations(t, srv, treasurer, "?frequency=monthly"); len(gifts) != 1 || gifts[0].StripeInvoiceID != "in_lookup" {
		t.Fatalf("gifts %+v", gifts)
	}
	asked := 0
	for _, c := range proxy.Calls("/v1/invoices/in_lookup") {
		if !c.Failed {
			asked++
		}
	}
	if asked == 0 {
		t.Error("the retry never asked Stripe for the invoice's payments")
	}
}
