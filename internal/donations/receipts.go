package donations

import (
	"context"
	"embed"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Templates are the emails this package sends; app passes them to
// mail.NewRenderer.
//
//go:embed templates/*.tmpl
var Templates embed.FS

// pounds renders pence for people: 2500 → "£25.00".
func pounds(pence int64) string { return "£" + giftaid.FormatPounds(pence) }

// longDate renders a UK date for people: "6 April 2026".
const longDate = "2 January 2006"

// sendReceipt queues the receipt for a gift, in the gift's transaction.
// A monthly gift's receipt links to the management page for customer, the
// subscription's Stripe customer, which holder (a donor record) holds.
func (s *Service) sendReceipt(ctx context.Context, tx pgx.Tx, d store.Donation, holder *uuid.UUID, customer string) error {
	row, err := store.Q.DonationGet(ctx, tx, d.ID)
	if err != nil {
		return fmt.Errorf("get donation: %w", err)
	}
	if row.DonorID == nil || row.DonorEmailSealed == nil {
		return nil
	}
	to, err := s.openEmail(*row.DonorID, row.DonorEmailSealed)
	if err != nil {
		return err
	}
	campaign, err := store.Q.CampaignGetBySlug(ctx, tx, row.CampaignSlug)
	if err != nil {
		return fmt.Errorf("get campaign by slug: %w", err)
	}
	covered, err := s.giftAid.Covered(ctx, tx, []uuid.UUID{d.ID})
	if err != nil {
		return err
	}
	manage := ""
	if d.Frequency == Monthly && holder != nil {
		if manage, err = s.manageURL(*holder, customer); err != nil {
			return err
		}
	}
	return s.outbox.Enqueue(ctx, tx, mail.Email{Template: "donation-receipt", To: to, Data: map[string]any{
		"Name": greetingName(row.DonorName), "Amount": pounds(d.AmountPence), "Campaign": campaign.Name,
		"Date": d.PaidAt.In(London).Format(longDate), "Reference": d.ID.String(), "GiftAid": covered[d.ID],
		"Monthly": d.Frequency == Monthly, "ManageURL": manage,
	}})
}

// sendPaymentFailed tells a monthly donor a payment failed, with a link
// to manage the Stripe customer whose payment it was.
func (s *Service) sendPaymentFailed(ctx context.Context, tx pgx.Tx, donor store.DonorGetByStripeCustomerRow, customer string, amountPence int64) error {
	to, err := s.openEmail(donor.ID, donor.EmailSealed)
	if err != nil {
		return err
	}
	manage, err := s.manageURL(donor.HolderID, customer)
	if err != nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, mail.Email{Template: "donation-payment-failed", To: to, Data: map[string]any{
		"Name": greetingName(&donor.Name), "Amount": pounds(amountPence), "ManageURL": manage,
	}})
}

func greetingName(name *string) string {
	if name == nil || *name == "" {
		return "friend"
	}
	return *name
}
