package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// Two presses of "refund" with one Idempotency-Key refund once; a retry
// after Stripe did not answer gives Stripe the same idempotency key, so
// Stripe refunds once however often the treasurer retries.
func TestRefundWithIdempotencyKeyRefundsOnce(t *testing.T) {
	t.Parallel()
	srv, proxy := startGivingBehindProxy(t)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 5000, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(c.CheckoutID, "general", 5000, "ida@example.org", "Ida", "cus_ida", "pi_ida")))
	gift := listDonations(t, srv, treasurer, "")[0]

	refund := func(key string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/" + gift.ID + "/refunds", Token: treasurer,
			Header: http.Header{"Idempotency-Key": {key}}, Body: map[string]any{"amount_pence": 1000, "reason": "requested_by_customer"}})
	}
	proxy.Fail("/v1/refunds", http.StatusServiceUnavailable)
	if r := refund("refund-ida-1"); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("refund while Stripe fails: %d %s", r.StatusCode, r.Body)
	}
	proxy.Heal()
	first := refund("refund-ida-1")
	second := refund("refund-ida-1")
	if first.StatusCode != http.StatusCreated || second.StatusCode != http.StatusCreated || second.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retries: %d %s / %d %q %s", first.StatusCode, first.Body, second.StatusCode, second.Header.Get("Idempotent-Replayed"), second.Body)
	}
	var after donationRow
	second.JSON(t, &after)
	if after.RefundedPence != 1000 || countRows(t, srv, `SELECT count(*) FROM donation_refunds`) != 1 {
		t.Fatalf("refunded %d pence in %d refunds, want 1000 in one", after.RefundedPence, countRows(t, srv, `SELECT count(*) FROM donation_refunds`))
	}
	keys := map[string]bool{}
	for _, call := range proxy.Calls("/v1/refunds") {
		keys[call.IdempotencyKey] = true
	}
	if len(keys) != 1 || keys[""] {
		t.Errorf("Stripe was given idempotency keys %v for one refund, want one", keys)
	}
	// Another key is another refund.
	if r := refund("refund-ida-2"); r.StatusCode != http.StatusCreated || countRows(t, srv, `SELECT count(*) FROM donation_refunds`) != 2 {
		t.Fatalf("second refund: %d %s", r.StatusCode, r.Body)
	}
}

// Two presses of "record" for one cheque with one Idempotency-Key record
// one gift.
func TestOfflineGiftWithIdempotencyKeyIsRecordedOnce(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	body := map[string]any{"amount_pence": 2000, "method": "cheque", "received_on": time.Now().Format(time.DateOnly), "campaign": "general", "reference": "chq 7"}
	record := func() *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/offline", Token: treasurer,
			Header: http.Header{"Idempotency-Key": {"cheque-7"}}, Body: body})
	}
	first, second := record(), record()
	if first.StatusCode != http.StatusCreated || second.StatusCode != http.StatusCreated || second.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("presses: %d %s / %d %s", first.StatusCode, first.Body, second.StatusCode, second.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donations`); n != 1 {
		t.Fatalf("%d gifts recorded for one cheque", n)
	}
	body["amount_pence"] = 2500
	if r := record(); r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "idempotency-key-reused" {
		t.Fatalf("key reused for another cheque: %d %s", r.StatusCode, r.Body)
	}
}
