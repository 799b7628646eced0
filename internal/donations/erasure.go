package donations

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// ErasePerson removes what giving holds about a person who asked to be
// forgotten, in the erasure's transaction (members.Eraser): every donor
// record linked to the membership or holding the address loses the name,
// the address and the link; the member's checkouts forget them. What HMRC
// requires HPA to keep for six years stays: the gifts, and a Gift Aid
// declaration (the donor's name and home address, sealed), which only
// treasurers read and which no longer points at the membership.
func (s *Service) ErasePerson(ctx context.Context, tx pgx.Tx, memberID uuid.UUID, email string) error {
	var hash []byte
	if email != "" {
		hash = s.hasher.Email(email)
	}
	donors, err := store.Q.DonorErase(ctx, tx, store.DonorEraseParams{MemberID: &memberID, EmailHash: hash})
	if err != nil {
		return fmt.Errorf("erase donors: %w", err)
	}
	checkouts, err := store.Q.CheckoutErase(ctx, tx, &memberID)
	if err != nil {
		return fmt.Errorf("erase checkouts: %w", err)
	}
	declarations, err := s.giftAid.UnlinkMember(ctx, tx, memberID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "donor.erase", TargetType: "member", TargetID: memberID.String(),
		Details: map[string]any{"donors": donors, "checkouts": checkouts, "declarations_kept": declarations}})
}
