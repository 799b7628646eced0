package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// dispute is a charge.dispute.* event's object: one balance transaction
// per fee given, the first withdrawing the funds, any second reinstating
// them.
func dispute(id, paymentIntent, status string, amount int64, fees ...int64) map[string]any {
	bts := []any{}
	for i, f := range fees {
		moved := -amount
		if i > 0 {
			moved = amount
		}
		bts = append(bts, map[string]any{"id": fmt.Sprintf("txn_%s_%d", id, i), "object": "balance_transaction", "amount": moved, "fee": f,
			"net": moved - f, "currency": "gbp"})
	}
	return map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": "gbp", "charge": "ch_" + paymentIntent,
		"payment_intent": paymentIntent, "status": status, "reason": "fraudulent", "balance_transactions": bts}
}

type disputedGift struct {
	Status          string `json:"status"`
	DisputeStatus   string `json:"dispute_status"`
	DisputeFeePence int64  `json:"dispute_fee_pence"`
	RefundedPence   int64  `json:"refunded_pence"`
	Refunds         []struct {
		Status string `json:"status"`
	} `json:"refunds"`
}

// A dispute runs its course: an inquiry closed, a dispute won after its
// funds were withdrawn and reinstated (events delivered out of order), a
// dispute lost on a gift already claimed for Gift Aid, and a refund that
// failed.
func TestDisputesAndFailedRefundsRunTheirCourse(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	give := func(ref string, pence int, gift map[string]any) string {
		t.Helper()
		body := map[string]any{"amount_pence": pence, "currency": "GBP", "frequency": "one_off", "campaign": "general"}
		if gift != nil {
			body["gift_aid"] = gift
		}
		_, c := startCheckout(t, srv, body, "")
		sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(c.CheckoutID, "general", int64(pence), ref+"@example.org", ref, "cus_"+ref, "pi_"+ref)))
		for _, g := range listDonations(t, srv, treasurer, "") {
			if g.DonorEmail == ref+"@example.org" {
				return g.ID
			}
		}
		t.Fatalf("no gift from %s", ref)
		return ""
	}
	get := func(id string) disputedGift {
		t.Helper()
		var g disputedGift
		srv.Do(apitest.Request{Path: "/v1/donations/" + id, Token: treasurer}).JSON(t, &g)
		return g
	}
	at := func(minutes int) time.Time { return time.Now().Add(time.Duration(minutes) * time.Minute) }

	// An inquiry opens and closes without becoming a dispute.
	inq := give("ina", 2000, nil)
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.created", at(0), dispute("du_ina", "pi_ina", "warning_needs_response", 2000)))
	if g := get(inq); g.Status != "disputed" {
		t.Fatalf("inquiry open: %+v", g)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.closed", at(1), dispute("du_ina", "pi_ina", "warning_closed", 2000)))
	if g := get(inq); g.Status != "paid" || g.DisputeStatus != "warning_closed" {
		t.Fatalf("inquiry closed: %+v", g)
	}

	// A dispute HPA wins; the funds_withdrawn event arrives after the close.
	won := give("wyn", 3000, nil)
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.created", at(0), dispute("du_wyn", "pi_wyn", "needs_response", 3000)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.funds_reinstated", at(3), dispute("du_wyn", "pi_wyn", "won", 3000, 2000, 0)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.closed", at(4), dispute("du_wyn", "pi_wyn", "won", 3000, 2000, 0)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.funds_withdrawn", at(1), dispute("du_wyn", "pi_wyn", "needs_response", 3000, 2000)))
	if g := get(won); g.Status != "paid" || g.DisputeStatus != "won" || g.DisputeFeePence != 2000 {
		t.Fatalf("dispute won: %+v", g)
	}

	// A dispute lost on a gift already in a Gift Aid claim: the next claim pays its Gift Aid back.
	lost := give("lou", 4000, giftAid("Lou", "Hart", "this_gift"))
	today := time.Now().Format(time.DateOnly)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: treasurer, Body: map[string]any{"from": today, "to": today}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.StatusCode, r.Body)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.created", at(0), dispute("du_lou", "pi_lou", "needs_response", 4000)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.closed", at(2), dispute("du_lou", "pi_lou", "lost", 4000, 2000)))
	if g := get(lost); g.Status != "disputed" || g.DisputeStatus != "lost" {
		t.Fatalf("dispute lost: %+v", g)
	}
	p := previewClaim(t, srv, treasurer)
	if len(p.Adjustments) != 1 || p.Adjustments[0].DonationID != lost || p.Adjustments[0].OverclaimedPence != 4000 || p.AdjustmentPence != 1000 {
		t.Fatalf("adjustments after a lost dispute: %+v", p)
	}

	// A refund Stripe made and then could not pay out: it no longer counts.
	fail := give("fay", 5000, nil)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/" + fail + "/refunds", Token: treasurer,
		Body: map[string]any{"amount_pence": 1500, "reason": "requested_by_customer"}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("refund: %d %s", r.StatusCode, r.Body)
	}
	var refundID string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT stripe_refund_id FROM donation_refunds WHERE donation_id = $1`, fail).Scan(&refundID); err != nil {
		t.Fatal(err)
	}
	failed := map[string]any{"id": refundID, "object": "refund", "amount": 1500, "currency": "gbp", "charge": "ch_fay", "payment_intent": "pi_fay", "status": "failed", "failure_reason": "expired_or_canceled_card"}
	sendEvent(t, srv, stripemock.Event(newEventID(), "refund.updated", time.Now(), failed))
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refund.updated", time.Now(), failed)) // the same failure, announced twice
	if g := get(fail); g.Status != "paid" || g.RefundedPence != 0 || len(g.Refunds) != 1 || g.Refunds[0].Status != "failed" {
		t.Fatalf("after the refund failed: %+v", g)
	}
}
