package config

import (
	"fmt"
	"time"
)

// GiftAid configures claims to HMRC (internal/giftaid).
type GiftAid struct {
	// AggregateMaxPence is the largest gift a claim schedule may add up
	// with others on one line (0: none).
	AggregateMaxPence int64
	// AccountingYearEnd is the last day of the charity's accounting year
	// (a trust's is 5 April). HMRC takes a claim up to four years after the
	// end of the accounting period a gift was received in, and never adds
	// up gifts of two periods on one line.
	AccountingYearEnd MonthDay
	// SmallDonationMaxPence is the largest gift the Gift Aid Small
	// Donations Scheme takes (HMRC: £30).
	SmallDonationMaxPence int64
	// SmallDonationsAnnualLimitPence is the most small donations a tax
	// year's claims may take (HMRC: £8,000, so a £2,000 top-up).
	SmallDonationsAnnualLimitPence int64
}

// MonthDay is a day of the year, such as 31 March.
type MonthDay struct {
	Month time.Month
	Day   int
}

func (r *reader) giftAid() GiftAid {
	return GiftAid{
		AggregateMaxPence:              int64(r.intRange("HPA_GIFT_AID_AGGREGATE_MAX_PENCE", 2000, 0, 100_000)),
		AccountingYearEnd:              r.monthDay("HPA_ACCOUNTING_YEAR_END", "03-31"),
		SmallDonationMaxPence:          int64(r.intRange("HPA_GASDS_MAX_PENCE", 3000, 1, 100_000)),
		SmallDonationsAnnualLimitPence: int64(r.intRange("HPA_GASDS_ANNUAL_LIMIT_PENCE", 800_000, 0, 100_000_000)),
	}
}

// monthDay parses MM-DD. 29 February is refused: it is not in every year.
func (r *reader) monthDay(name, def string) MonthDay {
	raw := r.get(name, def)
	t, err := time.Parse("01-02", raw)
	if err != nil || (t.Month() == time.February && t.Day() == 29) {
		r.fail(name, "must be a day of the year as MM-DD, such as 03-31 (not 02-29), got %q", raw)
		t, _ = time.Parse("01-02", def)
	}
	return MonthDay{Month: t.Month(), Day: t.Day()}
}

// String is the day as MM-DD.
func (d MonthDay) String() string { return fmt.Sprintf("%02d-%02d", int(d.Month), d.Day) }
