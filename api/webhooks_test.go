package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

func TestWebhookSignaturesAreChecked(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	payload := stripemock.Event(newEventID(), "customer.created", time.Now(), map[string]any{"id": "cus_x", "object": "customer"})
	now := time.Now()
	tampered := []byte(strings.Replace(string(payload), "cus_x", "cus_y", 1))
	cases := []struct {
		name, signature string
		body            []byte
		status          int
		code            string
	}{
		{"no signature", "", payload, 400, "signature-missing"},
		{"malformed header", "v1=abc,t", payload, 400, "signature-malformed"},
		{"wrong secret", stripemock.Sign(payload, now, "whsec_attacker"), payload, 400, "signature-invalid"},
		{"tampered body", stripemock.Sign(payload, now, webhookSecret), tampered, 400, "signature-invalid"},
		{"replay outside the tolerance", stripemock.Sign(payload, now.Add(-6*time.Minute), webhookSecret), payload, 400, "signature-expired"},
		{"timestamp in the future", stripemock.Sign(payload, now.Add(6*time.Minute), webhookSecret), payload, 400, "signature-expired"},
		{"signed garbage", stripemock.Sign([]byte(`{"id":`), now, webhookSecret), []byte(`{"id":`), 400, "malformed-event"},
		{"rotation: old and new signatures", stripemock.Sign(payload, now, "whsec_retired", webhookSecret), payload, 200, ""},
		{"rotation: the previous secret", stripemock.Sign(payload, now, oldWebhookSecret), payload, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := deliver(srv, c.body, c.signature)
			if r.StatusCode != c.status {
				t.Fatalf("%d %s, want %d", r.StatusCode, r.Body, c.status)
			}
			if c.code != "" && r.Problem(t).Code != c.code {
				t.Errorf("code %q, want %q", r.Problem(t).Code, c.code)
			}
		})
	}
	// An unknown event type is acknowledged, recorded once and does nothing.
	if n := countRows(t, srv, `SELECT count(*) FROM stripe_events WHERE type = 'customer.created' AND status = 'ignored'`); n != 1 {
		t.Errorf("%d ignored events stored, want 1", n)
	}
}

// Refunds and disputes that arrive before their payment wait for it.
func TestOutOfOrderEventsWaitForTheirPayment(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 4000, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	if got := sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", time.Now(), chargeRefunded("ch_late", "pi_late", 4000, 1500))); got != "deferred" {
		t.Fatalf("early refund outcome %q", got)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(c.CheckoutID, "general", 4000, "late@example.org", "", "cus_late", "pi_late")))
	g := listDonations(t, srv, treasurer, "")
	if len(g) != 1 || g[0].Status != "partially_refunded" || g[0].RefundedPence != 1500 {
		t.Fatalf("after the payment arrived: %+v", g)
	}
	// A dispute for it, then a stale refund event with a smaller total: the refund never shrinks.
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", time.Now(), chargeRefunded("ch_late", "pi_late", 4000, 500)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.created", time.Now(), map[string]any{"id": "dp_1", "object": "dispute",
		"charge": "ch_late", "payment_intent": "pi_late", "amount": 2500, "currency": "gbp", "status": "needs_response"}))
	g = listDonations(t, srv, treasurer, "")
	if g[0].Status != "disputed" || g[0].RefundedPence != 1500 {
		t.Fatalf("after dispute: %+v", g[0])
	}
	if n := countRows(t, srv, `SELECT count(*) FROM stripe_events WHERE status = 'deferred'`); n != 0 {
		t.Errorf("%d events still waiting", n)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/donations/totals"}); r.StatusCode != http.StatusOK || strings.Contains(string(r.Body), "late@example.org") {
		t.Errorf("totals: %d %s", r.StatusCode, r.Body)
	}
}

// Bad gifts are refused precisely, before anything reaches Stripe.
func TestCheckoutRefusesBadGifts(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	good := func() map[string]any {
		return map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general"}
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		where  string
	}{
		{"zero", func(b map[string]any) { b["amount_pence"] = 0 }, "body.amount_pence"},
		{"negative", func(b map[string]any) { b["amount_pence"] = -500 }, "body.amount_pence"},
		{"below the minimum", func(b map[string]any) { b["amount_pence"] = 99 }, "body.amount_pence"},
		{"over the maximum", func(b map[string]any) { b["amount_pence"] = 1_000_001 }, "body.amount_pence"},
		{"fractional pence", func(b map[string]any) { b["amount_pence"] = 10.5 }, "body.amount_pence"},
		{"pounds as a string", func(b map[string]any) { b["amount_pence"] = "25.00" }, "body.amount_pence"},
		{"not GBP", func(b map[string]any) { b["currency"] = "USD" }, "body.currency"},
		{"unknown campaign", func(b map[string]any) { b["campaign"] = "yachts" }, "body.campaign"},
		{"weekly", func(b map[string]any) { b["frequency"] = "weekly" }, "body.frequency"},
		{"declaration without a last name", func(b map[string]any) { g := giftAid("Ann", "", "this_gift"); b["gift_aid"] = g }, "body.gift_aid.last_name"},
		{"declaration without a house", func(b map[string]any) {
			g := giftAid("Ann", "Lee", "this_gift")
			delete(g, "house_name_or_number")
			b["gift_aid"] = g
		}, "body.gift_aid.house_name_or_number"},
		{"declaration with a bad postcode", func(b map[string]any) {
			g := giftAid("Ann", "Lee", "this_gift")
			g["postcode"] = "NOWHERE"
			b["gift_aid"] = g
		}, "body.gift_aid.postcode"},
		{"declaration by a non-taxpayer", func(b map[string]any) {
			g := giftAid("Ann", "Lee", "this_gift")
			g["uk_taxpayer"] = false
			b["gift_aid"] = g
		}, "body.gift_aid.uk_taxpayer"},
		{"monthly gift declared for this gift only", func(b map[string]any) { b["frequency"] = "monthly"; b["gift_aid"] = giftAid("Ann", "Lee", "this_gift") }, "body.gift_aid.scope"},
		{"member link from the public", func(b map[string]any) { b["member_id"] = "0b4e7a0e-5a3c-4a8e-9d57-2b1c3d4e5f60" }, "body.member_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := good()
			c.change(b)
			r, _ := startCheckout(t, srv, b, "")
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
			found := false
			field := c.where[strings.LastIndexByte(c.where, '.')+1:]
			for _, e := range r.Problem(t).Errors {
				// huma names a missing property in the message at its parent's location.
				found = found || e.Location == c.where || (e.Location+"."+field == c.where && strings.Contains(e.Message, field))
			}
			if !found {
				t.Errorf("no error at %s: %s", c.where, r.Body)
			}
		})
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donation_checkouts`); n != 0 {
		t.Errorf("%d checkouts created from bad gifts", n)
	}
}

// A delivery cut off by a database failure answers 5xx and stores
// nothing; Stripe's retry then records the payment exactly once.
func TestPaymentSurvivesDatabaseFailureMidDelivery(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 1500, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	payload := stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(c.CheckoutID, "general", 1500, "cut@example.org", "", "cus_cut", "pi_cut"))
	ctx := context.Background()
	blocker, err := srv.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, `LOCK TABLE donations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var first *apitest.Response
	wg.Go(func() { first = deliver(srv, payload, stripemock.Sign(payload, time.Now(), webhookSecret)) })
	// Kill the webhook's database session while it waits on the ledger, as a crash or restart would.
	apitest.Eventually(t, 10*time.Second, "webhook waiting on the ledger", func() bool {
		var n int
		_ = srv.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO donations%'`).Scan(&n)
		return n == 1
	})
	if _, err := srv.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO donations%'`); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_ = blocker.Rollback(ctx)
	if first.StatusCode < 500 {
		t.Fatalf("cut-off delivery answered %d %s; Stripe would not retry", first.StatusCode, first.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM stripe_events`); n != 0 {
		t.Fatalf("the failed delivery stored its event")
	}
	if got := sendEvent(t, srv, payload); got != "processed" {
		t.Fatalf("retry outcome %q", got)
	}
	if got := sendEvent(t, srv, payload); got != "duplicate" {
		t.Fatalf("second retry outcome %q", got)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donations WHERE stripe_payment_intent_id = 'pi_cut'`); n != 1 {
		t.Fatalf("%d ledger rows for the payment, want 1", n)
	}
}

// A signed Stripe event is money already taken: text in it that the
// database cannot store (a NUL, bytes that are not UTF-8, a lone UTF-16
// surrogate escape, which jsonb refuses) must not cost
// the gift. The event is applied with that text made storable, rather
// than refused (Stripe would deliver it for days and then give up) or
// failed as a 500 for ever.
func TestSignedEventsWithUnstorableTextAreStillApplied(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	// A refund that arrives first is kept (its payload stored) until the payment does.
	refund := chargeRefunded("ch_text", "pi_text", 2500, 500)
	refund["description"] = "refund \x00 note SURROGATE"
	early := bytes.Replace(stripemock.Event(newEventID(), "charge.refunded", time.Now(), refund), []byte("SURROGATE"), []byte(`\ud800`), 1)
	if got := sendEvent(t, srv, early); got != "deferred" {
		t.Fatalf("refund before its payment: %q", got)
	}
	paid := stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		checkoutCompleted(c.CheckoutID, "general", 2500, "text@example.org", "Ann \x00 MARK Smith", "cus_text", "pi_text"))
	paid = bytes.Replace(paid, []byte("MARK"), []byte("\xff\xfe"), 1) // bytes that are not UTF-8, as sent
	if got := sendEvent(t, srv, paid); got != "processed" {
		t.Fatalf("payment: %q", got)
	}
	g := listDonations(t, srv, treasurer, "")
	if len(g) != 1 || g[0].AmountPence != 2500 || g[0].RefundedPence != 500 || g[0].DonorEmail != "text@example.org" {
		t.Fatalf("ledger: %+v", g)
	}
}
