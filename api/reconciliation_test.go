package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// stripeList is a Stripe list object holding data.
func stripeList(t *testing.T, data ...map[string]any) []byte {
	t.Helper()
	if data == nil {
		data = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"object": "list", "url": "/v1/x", "has_more": false, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// balanceTxn is a balance transaction with its source expanded.
func balanceTxn(id, typ string, at time.Time, amount, fee int64, source map[string]any) map[string]any {
	return map[string]any{"id": id, "object": "balance_transaction", "type": typ, "created": at.Unix(), "currency": "gbp",
		"amount": amount, "fee": fee, "net": amount - fee, "status": "available", "source": source}
}

// Reconciliation follows the money from Stripe's balance to the bank:
// yesterday's ledger entries (gifts and a refund recorded from signed
// webhooks) against Stripe's balance transactions, charge by charge, and
// yesterday's payouts against what they paid out. Each planted
// difference is found, once; a day where both sides are empty has none.
func TestReconciliationFollowsTheBalance(t *testing.T) {
	t.Parallel()
	srv, proxy := startGivingBehindProxy(t)
	treasurerEmail, password := srv.NewStaff(t, identity.RoleTreasurer)
	treasurer := srv.Login(t, treasurerEmail, password).AccessToken
	now := time.Now().In(donations.London)
	yesterday := time.Date(now.Year(), now.Month(), now.Day()-1, 12, 0, 0, 0, donations.London)
	day := yesterday.Format(time.DateOnly)
	for _, g := range []struct {
		ref    string
		amount int64
	}{{"ok", 2000}, {"fee", 3000}, {"gone", 999}} {
		_, c := startCheckout(t, srv, map[string]any{"amount_pence": g.amount, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
		sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", yesterday,
			checkoutCompleted(c.CheckoutID, "general", g.amount, g.ref+"@example.org", g.ref, "cus_"+g.ref, "pi_"+g.ref)))
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", yesterday.Add(time.Hour), chargeRefunded("ch_ok", "pi_ok", 2000, 500)))

	charge := func(id, pi string) map[string]any {
		return map[string]any{"id": id, "object": "charge", "payment_intent": pi}
	}
	usd := balanceTxn("txn_usd", "charge", yesterday, 100, 0, charge("ch_usd", "pi_usd"))
	usd["currency"] = "usd"
	proxy.Answer("/v1/balance_transactions", "", stripeList(t,
		balanceTxn("txn_ok", "charge", yesterday, 2000, 0, charge("ch_ok", "pi_ok")),
		balanceTxn("txn_ok_refund", "refund", yesterday.Add(time.Hour), -500, 0, map[string]any{"id": "re_ok", "object": "refund", "charge": "ch_ok"}),
		balanceTxn("txn_fee", "charge", yesterday, 3000, 90, charge("ch_fee", "pi_fee")),
		balanceTxn("txn_stranger", "charge", yesterday, 700, 30, charge("ch_stranger", "pi_stranger")),
		balanceTxn("txn_payout", "payout", yesterday, -1500, 0, map[string]any{"id": "po_ok", "object": "payout"}),
		usd))
	proxy.Answer("/v1/balance_transactions", "payout=po_ok", stripeList(t,
		balanceTxn("txn_ok", "charge", yesterday, 2000, 0, nil), balanceTxn("txn_ok_refund", "refund", yesterday, -500, 0, nil)))
	proxy.Answer("/v1/balance_transactions", "payout=po_short", stripeList(t, balanceTxn("txn_fee", "charge", yesterday, 3000, 90, nil)))
	payout := func(id string, amount int64) map[string]any {
		return map[string]any{"id": id, "object": "payout", "amount": amount, "currency": "gbp", "created": yesterday.Unix(), "arrival_date": yesterday.Unix(), "status": "paid"}
	}
	proxy.Answer("/v1/payouts", "", stripeList(t, payout("po_ok", 1500), payout("po_short", 5000)))

	run := func(day string) (report struct {
		ID               string
		BalanceCount     int   `json:"balance_count"`
		PayoutCount      int   `json:"payout_count"`
		PayoutTotalPence int64 `json:"payout_total_pence"`
		Differences      []struct {
			Kind                  string
			Measure               string
			StripePaymentIntentID string `json:"stripe_payment_intent_id"`
			StripeChargeID        string `json:"stripe_charge_id"`
			StripePayoutID        string `json:"stripe_payout_id"`
			LedgerPence           *int64 `json:"ledger_pence"`
			StripePence           *int64 `json:"stripe_pence"`
		}
	}) {
		t.Helper()
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/reconciliation-reports", Token: treasurer, Body: map[string]any{"from": day, "to": day}})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("reconcile %s: %d %s", day, r.StatusCode, r.Body)
		}
		r.JSON(t, &report)
		return report
	}
	report := run(day)
	kinds := map[string]string{}
	for _, d := range report.Differences {
		kinds[d.Kind+d.Measure] = d.StripePaymentIntentID + d.StripeChargeID + d.StripePayoutID
	}
	want := map[string]string{"amount_mismatchfee": "pi_feech_fee", "missing_in_stripe": "pi_gone", "missing_in_ledger": "pi_strangerch_stranger",
		"currency_mismatch": "ch_usd", "amount_mismatchpayout": "po_short"}
	if len(report.Differences) != len(want) || report.BalanceCount != 4 || report.PayoutCount != 2 || report.PayoutTotalPence != 6500 {
		t.Fatalf("report: %+v", report)
	}
	for kind, ids := range want {
		if kinds[kind] != ids {
			t.Errorf("%s: %q, want %q (all: %+v)", kind, kinds[kind], ids, report.Differences)
		}
	}
	msg := srv.Mail.WaitFor(t, treasurerEmail, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "5 difference") })
	if !strings.Contains(msg.Text, "payout po_short") {
		t.Errorf("email does not describe the differences: %s", msg.Text)
	}
	r := srv.Do(apitest.Request{Path: "/v1/reconciliation-reports/" + report.ID, Token: treasurer})
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"measure":"fee"`) {
		t.Errorf("stored report: %d %s", r.StatusCode, r.Body)
	}

	proxy.Heal()
	proxy.Answer("/v1/balance_transactions", "", stripeList(t))
	proxy.Answer("/v1/payouts", "", stripeList(t))
	if clean := run(yesterday.AddDate(0, 0, -1).Format(time.DateOnly)); len(clean.Differences) != 0 {
		t.Fatalf("a day where both sides are empty has differences: %+v", clean)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/reconciliation-reports", Token: treasurer}); r.StatusCode != http.StatusOK || strings.Count(string(r.Body), `"trigger":"staff"`) != 2 {
		t.Errorf("report list: %s", r.Body)
	}
}
