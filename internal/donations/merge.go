package donations

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// MergeDonors merges donor other into donor into, when a treasurer has
// found the two records are one person. Payments never merge records (an
// address typed into Stripe proves nothing), so this is the only way two
// records become one. other's gifts, monthly subscriptions and Gift Aid
// declarations move to into, which takes what it lacks of other's name,
// address and member link; other keeps only its Stripe customer and names
// into, so Stripe's later events for that customer land there.
// Audit-logged with both IDs.
func (s *Service) MergeDonors(ctx context.Context, into, other uuid.UUID) error {
	if into == other {
		return hpa.Invalid("body.donor_id", "must be another donor than the one merged into")
	}
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		survivor, merged, err := s.lockPair(ctx, tx, into, other)
		if err != nil {
			return err
		}
		if survivor.MemberID != nil && merged.MemberID != nil && *survivor.MemberID != *merged.MemberID {
			return hpa.Errorf(hpa.ECONFLICT, "the two donor records are linked to different members, so they are not one person's").
				WithReason(ReasonDonorsLinkedToDifferentMembers)
		}
		fill := store.DonorFillInParams{ID: into, Name: merged.Name, MemberID: merged.MemberID}
		if survivor.EmailSealed == nil && merged.EmailSealed != nil {
			email, err := s.openEmail(other, merged.EmailSealed)
			if err != nil {
				return err
			}
			fill.EmailSealed, fill.EmailHash = s.sealEmail(into, email)
		}
		moves := store.DonationMoveDonorParams{FromDonor: &other, ToDonor: &into}
		gifts, err := store.Q.DonationMoveDonor(ctx, tx, moves)
		if err != nil {
			return fmt.Errorf("move gifts: %w", err)
		}
		subs, err := store.Q.SubscriptionMoveDonor(ctx, tx, store.SubscriptionMoveDonorParams(moves))
		if err != nil {
			return fmt.Errorf("move subscriptions: %w", err)
		}
		declarations, err := s.giftAid.MoveDonorTx(ctx, tx, other, into)
		if err != nil {
			return err
		}
		if err := store.Q.DonorMarkMerged(ctx, tx, store.DonorMarkMergedParams{ID: other, IntoDonor: &into}); err != nil {
			return fmt.Errorf("mark donor merged: %w", err)
		}
		if err := store.Q.DonorFillIn(ctx, tx, fill); err != nil {
			return fmt.Errorf("fill in surviving donor: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "donor.merge", TargetType: "donor", TargetID: into.String(), Details: map[string]any{
			"merged_donor_id": other.String(), "donations": gifts, "subscriptions": subs, "declarations": declarations}})
	})
}

// lockPair locks the surviving donor and the one to merge into it, and
// refuses a pair that cannot merge: either unknown or already merged.
func (s *Service) lockPair(ctx context.Context, tx pgx.Tx, into, other uuid.UUID) (survivor, merged *store.Donor, err error) {
	rows, err := store.Q.DonorLockPair(ctx, tx, []uuid.UUID{into, other})
	if err != nil {
		return nil, nil, fmt.Errorf("lock donor pair: %w", err)
	}
	for i := range rows {
		if rows[i].ID == into {
			survivor = &rows[i]
		} else {
			merged = &rows[i]
		}
	}
	switch {
	case survivor == nil:
		return nil, nil, hpa.Errorf(hpa.ENOTFOUND, "no donor has this ID")
	case survivor.MergedInto != nil:
		return nil, nil, mergedNotFound(*survivor.MergedInto)
	case merged == nil:
		return nil, nil, hpa.Invalid("body.donor_id", "no donor has this ID")
	case merged.MergedInto != nil:
		return nil, nil, mergedInvalid("body.donor_id", *merged.MergedInto)
	}
	return survivor, merged, nil
}

// mergedNotFound answers for a donor record a treasurer merged away.
func mergedNotFound(into uuid.UUID) error {
	return hpa.Errorf(hpa.ENOTFOUND, "this donor record was merged into donor %s", into).WithReason(ReasonDonorMerged)
}

// mergedInvalid refuses a merged donor record named in a request field.
func mergedInvalid(location string, into uuid.UUID) error {
	e := hpa.Invalid(location, fmt.Sprintf("this donor record was merged into donor %s; use that one", into))
	return e.WithReason(ReasonDonorMerged)
}
