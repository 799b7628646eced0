package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// SmallDonation is a small cash or contactless gift for the Gift Aid
// Small Donations Scheme: anonymous, without a declaration, at most the
// scheme's limit per gift (a collection tin's takings are recorded gift
// by gift only where each is known to be within it).
type SmallDonation struct {
	AmountPence int64
	// Method is cash or contactless: HMRC takes no other.
	Method     string
	ReceivedOn time.Time
	Campaign   string
	Reference  string
}

// RecordSmallDonation enters a small donation in the ledger, marked for
// the scheme (Gift Aid claims then take it within the scheme's limits),
// audit-logged.
func (s *Service) RecordSmallDonation(ctx context.Context, g SmallDonation, by uuid.UUID) (*Donation, error) {
	if g.Method != "cash" && g.Method != "contactless" {
		return nil, hpa.Invalid("body.method", "must be cash or contactless: HMRC's small donations scheme takes no other")
	}
	if limit := s.giftAid.SmallDonationMaxPence(); g.AmountPence > limit {
		return nil, hpa.Invalid("body.amount_pence", fmt.Sprintf("must be at most %d pence (£%s) for the small donations scheme; record a larger gift with POST /v1/donations/offline",
			limit, giftaid.FormatPounds(limit))).WithReason(ReasonSmallDonationOverLimit)
	}
	return s.RecordOffline(ctx, OfflineGift{AmountPence: g.AmountPence, Method: g.Method, ReceivedOn: g.ReceivedOn, Campaign: g.Campaign,
		Reference: g.Reference, smallDonation: true}, by)
}
