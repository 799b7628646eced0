package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// Stripe's fee reaches the ledger: after a one-off gift's event, the job
// that asks Stripe for the payment's charge books the fee from the
// charge's balance transaction, dated by it (so a fee taken in the first
// hours of a month is that month's), once however often the event comes,
// and the month-end report nets it off. Stripe here is stripe-mock behind
// a proxy that answers the payment intent with this payment's own charge
// (stripe-mock's fixture charge belongs to another payment, which the job
// rightly ignores).
func TestStripeFeeIsBookedFromTheBalanceTransaction(t *testing.T) {
	t.Parallel()
	srv, proxy := startGivingBehindProxy(t)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	run := fmt.Sprint(time.Now().UnixNano())
	intent, charge := "pi_fee_"+run, "ch_fee_"+run
	feeTaken := time.Now().Add(-time.Minute).Truncate(time.Second)
	intentBody, _ := json.Marshal(map[string]any{"id": intent, "object": "payment_intent", "status": "succeeded", "latest_charge": map[string]any{
		"id": charge, "object": "charge", "payment_intent": intent, "payment_method_details": map[string]any{"type": "card"},
		"balance_transaction": map[string]any{"id": "txn_fee_" + run, "object": "balance_transaction", "currency": "gbp", "fee": 59, "created": feeTaken.Unix()}}})
	proxy.Answer("/v1/payment_intents/"+intent, "latest_charge.balance_transaction", intentBody)

	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	ev := stripemock.Event(newEventID(), "checkout.session.completed", time.Now().Add(-2*time.Minute),
		checkoutCompleted(c.CheckoutID, "general", 2500, "fee"+run+"@example.org", "Fee Payer", "cus_fee_"+run, intent))
	sendEvent(t, srv, ev)
	sendEvent(t, srv, ev) // a redelivery queues nothing more
	srv.WaitForJobs(t, donations.FetchPaymentArgs{}.Kind())

	var entries struct {
		Items []struct {
			AmountPence int64     `json:"amount_pence"`
			OccurredAt  time.Time `json:"occurred_at"`
			Source      string    `json:"source"`
			MovementKey string    `json:"movement_key"`
			DonationID  string    `json:"donation_id"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/ledger/entries?kind=fee", Token: treasurer}).JSON(t, &entries)
	if len(entries.Items) != 1 {
		t.Fatalf("fee entries: %+v, want one", entries.Items)
	}
	fee := entries.Items[0]
	if fee.AmountPence != -59 || !fee.OccurredAt.Equal(feeTaken) || fee.Source != "stripe:txn_fee_"+run || fee.MovementKey != "fee:"+fee.DonationID {
		t.Errorf("fee entry %+v; want -59 at %s from stripe:txn_fee_%s", fee, feeTaken, run)
	}
	var gift struct {
		FeePence       *int64 `json:"fee_pence"`
		Method         string `json:"method"`
		StripeChargeID string `json:"stripe_charge_id"`
	}
	srv.Do(apitest.Request{Path: "/v1/donations/" + fee.DonationID, Token: treasurer}).JSON(t, &gift)
	if gift.FeePence == nil || *gift.FeePence != 59 || gift.Method != "card" || gift.StripeChargeID != charge {
		t.Errorf("gift after the fetch: %+v", gift)
	}
	var report monthEnd
	r := srv.Do(apitest.Request{Path: "/v1/ledger/month-end?month=" + feeTaken.In(donations.London).Format("2006-01"), Token: treasurer})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("month-end: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &report)
	if report.Total.FeesPence != -59 || report.Total.NetPence != report.Total.GrossPence+report.Total.RefundsPence+report.Total.DisputesPence-59 {
		t.Errorf("month-end total %+v; want fees -59 netted off", report.Total)
	}
}
