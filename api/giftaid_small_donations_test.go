package api_test

import (
	"net/http"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
)

// Small cash and contactless gifts are recorded without declarations and
// claimed under the Gift Aid Small Donations Scheme: each at most the
// per-gift limit, and each tax year's total within the annual limit and
// ten times the Gift Aid donations claimed for that year.
func TestSmallDonationsScheme(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, map[string]string{"HPA_GASDS_ANNUAL_LIMIT_PENCE": "5000"})
	today := day(ukToday())
	small := func(pence int64, method, key string) *apitest.Response {
		t.Helper()
		return d.srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/small-donations", Token: d.token,
			Header: http.Header{"Idempotency-Key": {key}},
			Body:   map[string]any{"amount_pence": pence, "method": method, "received_on": today, "campaign": "general", "reference": "collection tin"}})
	}
	if r := small(3001, "cash", "tin-0"); r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "small-donation-over-limit" {
		t.Fatalf("a gift over the GASDS limit: %d %s", r.StatusCode, r.Body)
	}
	for i, g := range []struct {
		pence  int64
		method string
	}{{3000, "contactless"}, {2000, "cash"}, {1500, "cash"}} {
		key := "tin-" + string(rune('1'+i))
		if r := small(g.pence, g.method, key); r.StatusCode != http.StatusCreated {
			t.Fatalf("small donation: %d %s", r.StatusCode, r.Body)
		}
		if r := small(g.pence, g.method, key); r.StatusCode != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retried small donation: %d %s", r.StatusCode, r.Body)
		}
	}
	if n := countRows(t, d.srv, `SELECT count(*) FROM donations WHERE small_donation`); n != 3 {
		t.Fatalf("%d small donations recorded", n)
	}

	// No Gift Aid claimed for the tax year yet: the matching rule allows nothing.
	if p := d.preview(today, today); p.Donations != 0 || p.SmallDonationsPence != 0 {
		t.Fatalf("small donations without Gift Aid donations: %+v", p)
	}
	ivy := d.gift("Ivy Match", 400, today, "")
	d.declare(ivy.DonorID, "Ivy", "past_four_years_and_future", today, nil)
	// Ten times £4 is £40: the £30 gift fits, the £20 would not.
	first := d.claim(today, today)
	if first.Claim.GiftAidPence != 100 || first.Claim.SmallDonationsPence != 3000 || first.Claim.SmallDonationsTopUpPence != 750 ||
		len(first.Schedule.SmallDonations) != 1 || first.Schedule.SmallDonations[0].Donations != 1 || first.Schedule.SmallDonations[0].TaxYear == "" {
		t.Fatalf("first claim: %+v", first)
	}
	if len(first.Schedule.Rows) != 1 {
		t.Errorf("small donations are not lines of HMRC's schedule: %+v", first.Schedule.Rows)
	}
	// More Gift Aid lifts the matching limit; the annual £50 limit leaves £20.
	d.gift(ivy.DonorID, 1000, today, "")
	second := d.claim(today, today)
	if second.Claim.SmallDonationsPence != 2000 || second.Claim.SmallDonationsTopUpPence != 500 {
		t.Fatalf("second claim: %+v", second.Claim)
	}
	if p := d.preview(today, today); p.SmallDonationsPence != 0 {
		t.Fatalf("over the annual limit: %+v", p)
	}
	// Small donations are anonymous and never carry a declaration.
	if r := d.srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/small-donations", Token: d.token,
		Body: map[string]any{"amount_pence": 500, "method": "cheque", "received_on": today, "campaign": "general"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a cheque as a small donation: %d %s", r.StatusCode, r.Body)
	}
}
