package giftaid

import (
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAccountingPeriodsAndTheFourYearLimit(t *testing.T) {
	for _, c := range []struct {
		end                    YearEnd
		day, first, last, earl string
	}{
		// A claim made on day: the period holding it, and the earliest gift still claimable.
		{march, "2026-12-07", "2026-04-01", "2027-03-31", "2022-04-01"},
		{march, "2026-03-31", "2025-04-01", "2026-03-31", "2021-04-01"},
		{march, "2026-04-01", "2026-04-01", "2027-03-31", "2022-04-01"},
		{taxYearEnd, "2026-04-05", "2025-04-06", "2026-04-05", "2021-04-06"},
		{taxYearEnd, "2026-04-06", "2026-04-06", "2027-04-05", "2022-04-06"},
		{YearEnd{Month: time.December, Day: 31}, "2026-12-07", "2026-01-01", "2026-12-31", "2022-01-01"},
		{YearEnd{Month: time.February, Day: 28}, "2028-02-29", "2028-02-29", "2029-02-28", "2024-02-29"},
	} {
		p := c.end.PeriodOf(date(c.day))
		if p.First != date(c.first) || p.Last != date(c.last) {
			t.Errorf("%s, year end %s: period %s..%s, want %s..%s", c.day, c.end, p.First.Format(time.DateOnly), p.Last.Format(time.DateOnly), c.first, c.last)
		}
		if got := c.end.EarliestClaimable(date(c.day)); got != date(c.earl) {
			t.Errorf("claim on %s, year end %s: earliest %s, want %s", c.day, c.end, got.Format(time.DateOnly), c.earl)
		}
	}
	if l := TaxYearLabel(TaxYearOf(date("2027-01-10"))); l != "2026-27" {
		t.Errorf("tax year label %s", l)
	}
	if l := TaxYearLabel(TaxYearOf(date("2099-04-06"))); l != "2099-00" {
		t.Errorf("tax year label %s", l)
	}
}
