package giftaid

import (
	"fmt"
	"time"
)

// YearEnd is the last day of the charity's accounting year, such as
// 31 March (a charitable trust's is 5 April, the end of the tax year).
type YearEnd struct {
	Month time.Month
	Day   int
}

// String is the day as MM-DD.
func (y YearEnd) String() string { return fmt.Sprintf("%02d-%02d", int(y.Month), y.Day) }

// parseYearEnd reads what String writes.
func parseYearEnd(s string) (YearEnd, error) {
	t, err := time.Parse("01-02", s)
	if err != nil {
		return YearEnd{}, fmt.Errorf("accounting year end %q: %w", s, err)
	}
	return YearEnd{Month: t.Month(), Day: t.Day()}, nil
}

// Period is an accounting period or tax year: First to Last, UK dates,
// inclusive.
type Period struct {
	First, Last time.Time
}

// in is the year end in year y, as a UTC midnight date.
func (y YearEnd) in(year int) time.Time {
	return time.Date(year, y.Month, y.Day, 0, 0, 0, 0, time.UTC)
}

// PeriodOf is the accounting period holding the UK date d.
func (y YearEnd) PeriodOf(d time.Time) Period {
	last := y.in(d.Year())
	if d.After(last) {
		last = y.in(d.Year() + 1)
	}
	return Period{First: y.in(last.Year()-1).AddDate(0, 0, 1), Last: last}
}

// claimTimeLimitYears is how long after the end of the accounting period a
// gift was received in HMRC takes a claim for it.
const claimTimeLimitYears = 4

// EarliestClaimable is the first UK date whose gifts HMRC still takes in
// a claim made on today: the start of the accounting period that held the
// date four years ago (that period ends four years or less before today;
// the one before it ended more than four years ago).
func (y YearEnd) EarliestClaimable(today time.Time) time.Time {
	return y.PeriodOf(today.AddDate(-claimTimeLimitYears, 0, 0)).First
}

// taxYearEnd is the end of the UK tax year, 5 April.
var taxYearEnd = YearEnd{Month: time.April, Day: 5}

// TaxYearOf is the UK tax year (6 April to 5 April) holding the date d.
func TaxYearOf(d time.Time) Period { return taxYearEnd.PeriodOf(d) }

// TaxYearLabel names a tax year as HMRC does: "2026-27".
func TaxYearLabel(p Period) string {
	return fmt.Sprintf("%d-%02d", p.First.Year(), (p.First.Year()+1)%100)
}
