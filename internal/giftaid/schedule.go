package giftaid

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// aggregateLineMax is the most one aggregated line may total (HMRC: £1,000).
const aggregateLineMax = 100_000

// ScheduleHeader is the column row of HMRC's Charities Online Gift Aid
// donation schedule, in its order.
var ScheduleHeader = []string{"Title", "First name", "Last name", "House name or number", "Postcode",
	"Aggregated donations", "Sponsored event", "Donation date", "Amount"}

// Gift is one eligible gift: its net amount (after refunds) and the
// declaration covering it.
type Gift struct {
	DonationID    uuid.UUID
	DonorID       *uuid.UUID
	DeclarationID uuid.UUID
	Person        Person
	AmountPence   int64
	Date          time.Time // the UK calendar date it was received
}

// Row is one line of the schedule: one gift, or several small gifts
// aggregated (no donor details, a description instead).
type Row struct {
	Person      Person
	Aggregated  string
	Sponsored   bool
	Date        time.Time
	AmountPence int64
	DonationIDs []uuid.UUID
}

// Schedule is a claim's schedule and its totals.
type Schedule struct {
	Rows         []Row
	Donations    int
	TotalPence   int64
	GiftAidPence int64
	// Earliest is the date of the earliest gift (HMRC asks for it).
	Earliest time.Time
	// Adjustments are gifts claimed before and refunded since; their Gift
	// Aid, AdjustmentPence in all, is paid back through this claim.
	Adjustments     []Adjustment
	AdjustmentPence int64
	// SmallDonations are the gifts taken under the Gift Aid Small
	// Donations Scheme, per tax year: not lines of the schedule, but
	// totals for the claim form. SmallDonationsPence and
	// SmallDonationsTopUpPence total them.
	SmallDonations           []SmallDonationsYear
	SmallDonationsPence      int64
	SmallDonationsTopUpPence int64
	// EarliestClaimable is, in a preview, the first date whose gifts HMRC
	// still takes.
	EarliestClaimable time.Time
}

// GiftAidValue is what HMRC repays on net gifts: basic-rate tax, 25p per £1.
func GiftAidValue(pence int64) int64 { return pence * 25 / 100 }

// BuildSchedule lays gifts out as HMRC's schedule. Gifts of aggregateMax
// pence or less (0: none) are aggregated into lines of at most £1,000, at
// most one gift per donor in a line and only gifts of one accounting
// period (ending on yearEnd) in a line, dated with the line's latest
// gift; every other gift gets its own line with the donor's details.
func BuildSchedule(gifts []Gift, aggregateMax int64, yearEnd YearEnd) Schedule {
	var s Schedule
	type line struct {
		row    Row
		period Period
		donors map[uuid.UUID]bool
	}
	var lines []*line
	for _, g := range gifts {
		s.Donations++
		s.TotalPence += g.AmountPence
		if s.Earliest.IsZero() || g.Date.Before(s.Earliest) {
			s.Earliest = g.Date
		}
		if aggregateMax <= 0 || g.AmountPence > aggregateMax {
			p := g.Person
			p.LastName = strings.ReplaceAll(p.LastName, "-", " ") // HMRC: double-barrelled names with a space
			s.Rows = append(s.Rows, Row{Person: p, Date: g.Date, AmountPence: g.AmountPence, DonationIDs: []uuid.UUID{g.DonationID}})
			continue
		}
		donor := g.DeclarationID // a gift without a donor record is its declaration's only gift
		if g.DonorID != nil {
			donor = *g.DonorID
		}
		period := yearEnd.PeriodOf(g.Date)
		var target *line
		for _, l := range lines {
			if l.period == period && !l.donors[donor] && l.row.AmountPence+g.AmountPence <= aggregateLineMax {
				target = l
				break
			}
		}
		if target == nil {
			target = &line{period: period, donors: map[uuid.UUID]bool{}}
			lines = append(lines, target)
		}
		target.donors[donor] = true
		target.row.AmountPence += g.AmountPence
		target.row.DonationIDs = append(target.row.DonationIDs, g.DonationID)
		if g.Date.After(target.row.Date) {
			target.row.Date = g.Date
		}
	}
	sort.SliceStable(s.Rows, func(i, j int) bool { return s.Rows[i].Date.Before(s.Rows[j].Date) })
	for i, l := range lines {
		l.row.Aggregated = fmt.Sprintf("Small donations %d of %d", i+1, len(lines)) // HMRC: at most 35 characters
		s.Rows = append(s.Rows, l.row)
	}
	s.GiftAidPence = GiftAidValue(s.TotalPence)
	return s
}

// WriteCSV writes the schedule in HMRC's column layout: dates DD/MM/YY,
// amounts in pounds with two decimals and no £ sign, blank cells where a
// field does not apply.
func (s Schedule) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ScheduleHeader); err != nil {
		return err
	}
	for _, r := range s.Rows {
		sponsored := ""
		if r.Sponsored {
			sponsored = "Yes"
		}
		if err := cw.Write([]string{r.Person.Title, r.Person.FirstName, r.Person.LastName, r.Person.HouseNameOrNumber, r.Person.Postcode,
			r.Aggregated, sponsored, r.Date.Format("02/01/06"), FormatPounds(r.AmountPence)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// FormatPounds renders pence as pounds with two decimals: 1050 → "10.50".
func FormatPounds(pence int64) string {
	sign := ""
	if pence < 0 {
		sign, pence = "-", -pence
	}
	return fmt.Sprintf("%s%d.%02d", sign, pence/100, pence%100)
}
