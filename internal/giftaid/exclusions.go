package giftaid

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Why a gift is not eligible for Gift Aid whatever declaration covers it
// (HMRC): it paid for something, it was a company's money, the donor had
// a benefit beyond HMRC's limits, it was not the donor's own money
// (collected from others, or repaid to them), or another reason, noted.
const (
	ExclusionPayment = "payment_for_goods_or_services"
	ExclusionCompany = "company"
	ExclusionBenefit = "donor_benefit"
	ExclusionNotOwn  = "not_donors_own_money"
	ExclusionOther   = "other"
)

// Exclusion is a treasurer's ruling that a gift is not eligible for Gift
// Aid.
type Exclusion struct {
	DonationID uuid.UUID
	Reason     string
	Note       string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
}

// Exclude rules a gift out of Gift Aid (or changes the reason),
// audit-logged with the reason (not the note, which is free text). If a
// live claim already holds the gift, the Gift Aid claimed on it is paid
// back through the next claim's adjustment.
func (s *Service) Exclude(ctx context.Context, donationID uuid.UUID, reason, note string, by *uuid.UUID) (*Exclusion, error) {
	if reason == ExclusionOther && note == "" {
		return nil, hpa.Invalid("body.note", "is required when the reason is other")
	}
	var out *Exclusion
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := donationExists(ctx, tx, donationID); err != nil {
			return err
		}
		row, err := store.Q.GiftAidExclusionSet(ctx, tx, store.GiftAidExclusionSetParams{DonationID: donationID, Reason: reason, Note: note, CreatedBy: by})
		if err != nil {
			return fmt.Errorf("set gift aid exclusion: %w", err)
		}
		out = &Exclusion{DonationID: row.DonationID, Reason: row.Reason, Note: row.Note, CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt}
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.exclusion_set", TargetType: "donation", TargetID: donationID.String(),
			Details: map[string]any{"reason": reason}})
	})
	return out, err
}

// Include lifts a gift's exclusion, audit-logged: its declaration covers
// it again.
func (s *Service) Include(ctx context.Context, donationID uuid.UUID) error {
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		n, err := store.Q.GiftAidExclusionDelete(ctx, tx, donationID)
		if err != nil {
			return fmt.Errorf("delete gift aid exclusion: %w", err)
		}
		if n == 0 {
			return hpa.Errorf(hpa.ENOTFOUND, "this gift is not excluded from Gift Aid")
		}
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.exclusion_lifted", TargetType: "donation", TargetID: donationID.String()})
	})
}

func donationExists(ctx context.Context, db store.DBTX, id uuid.UUID) error {
	found, err := store.Q.GiftAidDonationExists(ctx, db, id)
	if err != nil {
		return fmt.Errorf("exists gift aid donation: %w", err)
	}
	if !found {
		return hpa.Errorf(hpa.ENOTFOUND, "no donation has this ID")
	}
	return nil
}
