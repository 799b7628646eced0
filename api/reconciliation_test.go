package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

// stripe-mock's canned charge list holds one charge, ch_1PgafuB7WZ01zgkWXYmPNZs8
// for 100 (USD), created at 1234567890 (13 February 2009). The test plants
// ledger rows in that day and checks the reconciliation finds each
// difference, and nothing on a day where both sides agree.
func TestReconciliationReportsPlantedDifferences(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurerEmail, password := srv.NewStaff(t, identity.RoleTreasurer)
	treasurer := srv.Login(t, treasurerEmail, password).AccessToken
	ctx := context.Background()
	for _, plant := range []string{
		// Stripe's charge, recorded for the wrong amount.
		`INSERT INTO donations (campaign_id, amount_pence, channel, method, frequency, stripe_charge_id, stripe_payment_intent_id, paid_at)
		 SELECT id, 150, 'online', 'card', 'one_off', 'ch_1PgafuB7WZ01zgkWXYmPNZs8', 'pi_planted_amount', '2009-02-13 23:31:30+00' FROM campaigns WHERE slug = 'general'`,
		// A gift Stripe never took.
		`INSERT INTO donations (campaign_id, amount_pence, channel, method, frequency, stripe_payment_intent_id, paid_at)
		 SELECT id, 999, 'online', 'card', 'one_off', 'pi_planted_phantom', '2009-02-13 12:00:00+00' FROM campaigns WHERE slug = 'general'`,
		// An offline gift is not Stripe's business.
		`INSERT INTO donations (campaign_id, amount_pence, channel, method, frequency, paid_at)
		 SELECT id, 2000, 'offline', 'cheque', 'one_off', '2009-02-13 10:00:00+00' FROM campaigns WHERE slug = 'general'`,
	} {
		if _, err := srv.Pool.Exec(ctx, plant); err != nil {
			t.Fatal(err)
		}
	}
	run := func(day string) (report struct {
		ID          string
		Differences []struct {
			Kind                  string
			DonationID            string `json:"donation_id"`
			StripePaymentIntentID string `json:"stripe_payment_intent_id"`
		}
	}) {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/reconciliation-reports", Token: treasurer, Body: map[string]any{"from": day, "to": day}})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("reconcile %s: %d %s", day, r.StatusCode, r.Body)
		}
		r.JSON(t, &report)
		return report
	}
	if clean := run("2009-02-12"); len(clean.Differences) != 0 {
		t.Fatalf("a day where both sides are empty has differences: %+v", clean)
	}
	report := run("2009-02-13")
	kinds := map[string]string{}
	for _, d := range report.Differences {
		kinds[d.Kind] = d.StripePaymentIntentID
	}
	if len(report.Differences) != 3 || kinds["amount_mismatch"] != "pi_planted_amount" || kinds["missing_in_stripe"] != "pi_planted_phantom" || kinds["currency_mismatch"] != "" {
		t.Fatalf("differences: %+v", report.Differences)
	}
	if _, ok := kinds["currency_mismatch"]; !ok {
		t.Errorf("the USD charge is not reported")
	}
	msg := srv.Mail.WaitFor(t, treasurerEmail, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "3 difference") })
	if !strings.Contains(msg.Text, "pi_planted_phantom") && !strings.Contains(msg.Text, "999 pence") {
		t.Errorf("email does not describe the differences: %s", msg.Text)
	}
	r := srv.Do(apitest.Request{Path: "/v1/reconciliation-reports/" + report.ID, Token: treasurer})
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), "amount_mismatch") {
		t.Errorf("stored report: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/reconciliation-reports", Token: treasurer}); r.StatusCode != http.StatusOK || strings.Count(string(r.Body), `"trigger":"staff"`) != 2 {
		t.Errorf("report list: %s", r.Body)
	}
}
