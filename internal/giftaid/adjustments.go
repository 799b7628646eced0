package giftaid

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
)

// Adjustment is Gift Aid claimed on a gift that was refunded afterwards:
// HMRC wants it paid back through a later claim's adjustment.
type Adjustment struct {
	DonationID uuid.UUID
	// ClaimedIn is the claim the gift was first claimed in.
	ClaimedIn uuid.UUID
	PaidAt    time.Time
	// OverclaimedPence is the part of the gift refunded after the claim.
	OverclaimedPence int64
	// GiftAidPence is the Gift Aid to pay back on it.
	GiftAidPence int64
}

// adjustmentsDue lists the claimed gifts refunded since by more than the
// adjustments already made for them.
func (s *Service) adjustmentsDue(ctx context.Context, db store.DBTX) ([]Adjustment, error) {
	rows, err := store.Q.GiftAidAdjustmentsDue(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("due gift aid adjustments: %w", err)
	}
	out := make([]Adjustment, len(rows))
	for i, r := range rows {
		out[i] = Adjustment{DonationID: r.ID, ClaimedIn: r.ClaimedIn, PaidAt: r.PaidAt, OverclaimedPence: r.OverclaimedPence,
			GiftAidPence: GiftAidValue(r.OverclaimedPence)}
	}
	return out, nil
}

// recordAdjustments notes that claim carries adjustments, so none is
// made again.
func recordAdjustments(ctx context.Context, tx store.DBTX, claim uuid.UUID, adjustments []Adjustment) error {
	if len(adjustments) == 0 {
		return nil
	}
	p := store.GiftAidAdjustmentsInsertParams{ClaimID: claim}
	for _, a := range adjustments {
		p.DonationIds = append(p.DonationIds, a.DonationID)
		p.OverclaimedPence = append(p.OverclaimedPence, a.OverclaimedPence)
		p.GiftAidPence = append(p.GiftAidPence, a.GiftAidPence)
	}
	return store.Q.GiftAidAdjustmentsInsert(ctx, tx, p)
}

func sumGiftAid(adjustments []Adjustment) int64 {
	var total int64
	for _, a := range adjustments {
		total += a.GiftAidPence
	}
	return total
}
