package engagement

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// registrationEmailHash is how a registration's address is found: per
// opportunity, so the same person's bookings cannot be linked across
// events without the key.
func (s *Service) registrationEmailHash(opportunityID uuid.UUID, emailKey string) []byte {
	return s.hasher.Hash(registrationEmailDomain, opportunityID.String()+"|"+emailKey)
}

// registrationEmailDomain is the domain of registrationEmailHash.
const registrationEmailDomain = "registration-email"

// ErasePerson removes what engagement holds about a person who asked to be
// forgotten, in the erasure's transaction: every registration made by the
// member or with the address gives up any place it still holds (the next
// person waiting is promoted), then loses its name, address and access
// needs; the anonymous row stays so an event keeps its numbers. Pending
// alerts for the member go too.
func (s *Service) ErasePerson(ctx context.Context, tx pgx.Tx, memberID uuid.UUID, email string) error {
	var hashes [][]byte
	if email != "" {
		ids, err := store.Q.OpportunityIDs(ctx, tx)
		if err != nil {
			return fmt.Errorf("erase registrations: %w", err)
		}
		key := hpa.EmailKey(email)
		for _, id := range ids {
			hashes = append(hashes, s.registrationEmailHash(id, key))
		}
	}
	var member *uuid.UUID
	if memberID != uuid.Nil {
		member = &memberID
	}
	regs, err := store.Q.RegistrationListForPerson(ctx, tx, store.RegistrationListForPersonParams{MemberID: member, EmailHashes: hashes})
	if err != nil {
		return fmt.Errorf("erase registrations: %w", err)
	}
	for _, r := range regs {
		if r.HoldsPlace {
			if err := s.giveUpPlace(ctx, tx, r.OpportunityID, r.ID, r.Status); err != nil {
				return err
			}
		}
		if err := store.Q.RegistrationErase(ctx, tx, r.ID); err != nil {
			return fmt.Errorf("erase registration: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "registration.erase", TargetType: "registration", TargetID: r.ID.String()}); err != nil {
			return err
		}
	}
	if member != nil {
		if _, err := store.Q.AlertsDeleteForMember(ctx, tx, memberID); err != nil {
			return fmt.Errorf("erase alerts: %w", err)
		}
	}
	return nil
}

// giveUpPlace cancels a registration under its opportunity's lock and,
// if it held a confirmed place, promotes the first person waiting.
func (s *Service) giveUpPlace(ctx context.Context, tx pgx.Tx, opportunityID, id uuid.UUID, status string) error {
	row, err := store.Q.OpportunityGetForUpdate(ctx, tx, opportunityID)
	if err != nil {
		return fmt.Errorf("lock opportunity %s: %w", opportunityID, err)
	}
	cancelled, err := store.Q.RegistrationCancel(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("cancel registration %s: %w", id, err)
	}
	if err := s.tellChanged(ctx, tx, row.OrganisationID, cancelled, webhooks.TypeRegistrationCancelled); err != nil {
		return err
	}
	if status == RegConfirmed {
		return s.promote(ctx, tx, fromRow(row))
	}
	return nil
}
