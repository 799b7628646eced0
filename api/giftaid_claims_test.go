package api_test

import (
	"net/http"
	"testing"
	"time"
)

// HMRC takes a claim up to four years after the end of the accounting
// period its gifts were received in, and an aggregated line never adds
// up gifts from two accounting periods.
func TestGiftAidClaimsKeepHMRCsTimeLimitAndAccountingPeriods(t *testing.T) {
	d := newGiftAidDesk(t, map[string]string{"HPA_ACCOUNTING_YEAR_END": "03-31"})
	today := ukToday()

	// The first claimable day is the start of the accounting year (from
	// 1 April) that held the date four years ago.
	fourYearsAgo := today.AddDate(-4, 0, 0)
	earliest := time.Date(fourYearsAgo.Year(), time.April, 1, 0, 0, 0, 0, time.UTC)
	if fourYearsAgo.Before(earliest) {
		earliest = earliest.AddDate(-1, 0, 0)
	}

	// Ann gave six years ago; her declaration covers the past four years.
	old := today.AddDate(-6, 0, 0)
	ann := d.gift("Ann Old", 5000, day(old), "")
	d.declare(ann.DonorID, "Ann", "past_four_years_and_future", day(old), nil)
	d.problem(http.MethodGet, "/v1/gift-aid/claims/preview?from="+day(old)+"&to="+day(old), nil, http.StatusUnprocessableEntity, "gift-aid-time-limit")
	d.problem(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": day(old), "to": day(today)}, http.StatusUnprocessableEntity, "gift-aid-time-limit")
	d.problem(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": day(earliest.AddDate(0, 0, -1)), "to": day(today)},
		http.StatusUnprocessableEntity, "gift-aid-time-limit")

	// Bea's gift on the first claimable day is still in time.
	bea := d.gift("Bea Early", 4000, day(earliest), "")
	d.declare(bea.DonorID, "Bea", "this_and_future", day(earliest), nil)
	if p := d.preview(day(earliest), day(earliest)); p.Donations != 1 || p.Earliest != day(earliest) {
		t.Fatalf("a gift on the first claimable day: %+v", p)
	}

	// Two small gifts either side of the last year end: two aggregated lines.
	yearEnd := time.Date(today.Year(), time.March, 31, 0, 0, 0, 0, time.UTC)
	if !yearEnd.Before(today) {
		yearEnd = yearEnd.AddDate(-1, 0, 0)
	}
	for i, on := range []time.Time{yearEnd, yearEnd.AddDate(0, 0, 1)} {
		g := d.gift([]string{"Cal Small", "Dot Small"}[i], 1000, day(on), "")
		d.declare(g.DonorID, []string{"Cal", "Dot"}[i], "past_four_years_and_future", day(on), nil)
	}
	p := d.preview(day(yearEnd), day(yearEnd.AddDate(0, 0, 1)))
	aggregated := 0
	for _, r := range p.Rows {
		if r.Aggregated != "" {
			aggregated++
			if len(r.DonationIDs) != 1 {
				t.Errorf("an aggregated line mixes accounting periods: %+v", r)
			}
		}
	}
	if p.Donations != 2 || aggregated != 2 {
		t.Fatalf("small gifts from two accounting periods: %+v", p)
	}
	made := d.claim(day(earliest), day(today))
	if made.Claim.Donations != 3 {
		t.Fatalf("claim within the time limit: %+v", made.Claim)
	}
}
