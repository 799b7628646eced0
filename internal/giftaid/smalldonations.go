package giftaid

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
)

// HMRC's Gift Aid Small Donations Scheme (GASDS) pays a top-up, as Gift
// Aid, on small cash and contactless gifts made without declarations: per
// tax year, on at most the annual limit and at most ten times the Gift
// Aid donations the charity claims on for that year (the matching rule),
// for two years after the tax year.
const (
	smallDonationsMatching       = 10
	smallDonationsTimeLimitYears = 2
)

// SmallDonationsYear is one tax year's small donations in a claim.
type SmallDonationsYear struct {
	TaxYear        Period
	Donations      int
	DonationsPence int64
	// TopUpPence is what HMRC pays on them: 25p per £1, as Gift Aid.
	TopUpPence  int64
	DonationIDs []uuid.UUID
	amounts     []int64
}

// smallDonations picks the small donations received from..to that a claim
// may take now: per tax year, whole gifts oldest first, while the year's
// total stays within the annual limit and the matching rule, counting
// what live claims already took and gifts, this claim's Gift Aid gifts.
func (s *Service) smallDonations(ctx context.Context, db store.DBTX, from, to time.Time, gifts []Gift) ([]SmallDonationsYear, error) {
	earliest := TaxYearOf(s.today().AddDate(-smallDonationsTimeLimitYears, 0, 0)).First
	rows, err := store.Q.GiftAidSmallDonationsUnclaimed(ctx, db, store.GiftAidSmallDonationsUnclaimedParams{FromDate: from, ToDate: to, Earliest: earliest})
	if err != nil {
		return nil, fmt.Errorf("unclaimed gift aid small donations: %w", err)
	}
	giftAid := map[Period]int64{}
	for _, g := range gifts {
		giftAid[TaxYearOf(g.Date)] += g.AmountPence
	}
	room := map[Period]int64{}
	var out []SmallDonationsYear
	for _, r := range rows {
		year := TaxYearOf(r.PaidOn)
		left, known := room[year]
		if !known {
			claimed, err := store.Q.GiftAidClaimedInPeriod(ctx, db, store.GiftAidClaimedInPeriodParams{FromDate: year.First, ToDate: year.Last})
			if err != nil {
				return nil, fmt.Errorf("claimed gift aid in period: %w", err)
			}
			left = min(s.settings.SmallDonationsAnnualLimitPence, smallDonationsMatching*(claimed.GiftAidDonationsPence+giftAid[year])) - claimed.SmallDonationsPence
		}
		if r.NetPence <= left {
			left -= r.NetPence
			out = addSmallDonation(out, r.ID, r.NetPence, r.PaidOn)
		}
		room[year] = left
	}
	return out, nil
}

// addSmallDonation adds a gift to its tax year's total; gifts come oldest
// first, so a year's are together.
func addSmallDonation(years []SmallDonationsYear, id uuid.UUID, pence int64, on time.Time) []SmallDonationsYear {
	year := TaxYearOf(on)
	if len(years) == 0 || years[len(years)-1].TaxYear != year {
		years = append(years, SmallDonationsYear{TaxYear: year})
	}
	y := &years[len(years)-1]
	y.Donations++
	y.DonationsPence += pence
	y.TopUpPence = GiftAidValue(y.DonationsPence)
	y.DonationIDs = append(y.DonationIDs, id)
	y.amounts = append(y.amounts, pence)
	return years
}

// totalSmallDonations sums the small donations' years.
func (s *Schedule) totalSmallDonations() {
	s.SmallDonationsPence, s.SmallDonationsTopUpPence = 0, 0
	for _, y := range s.SmallDonations {
		s.SmallDonationsPence += y.DonationsPence
		s.SmallDonationsTopUpPence += y.TopUpPence
	}
}
