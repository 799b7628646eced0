package donations

import (
	"context"
	"embed"
	"fmt"
	"time"

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

// giftReceipt is what a receipt says about a gift, and its donor.
type giftReceipt struct {
	donation    uuid.UUID
	donor       *uuid.UUID
	emailSealed []byte
	donorName   *string
	campaign    string
	amountPence int64
	frequency   string
	paidAt      time.Time
}

// sendReceipt queues the receipt for a gift recorded by staff, in the
// gift's transaction.
func (s *Service) sendReceipt(ctx context.Context, tx pgx.Tx, d store.Donation) error {
	row, err := store.Q.DonationGet(ctx, tx, d.ID)
	if err != nil {
		return fmt.Errorf("get donation: %w", err)
	}
	email, err := s.receiptEmail(ctx, tx, giftReceipt{donation: d.ID, donor: row.DonorID, emailSealed: row.DonorEmailSealed,
		donorName: row.DonorName, campaign: row.CampaignName, amountPence: d.AmountPence, frequency: d.Frequency, paidAt: d.PaidAt}, nil, "")
	if err != nil || email == nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, *email)
}

// receiptEmail is the receipt for a gift, or nil when the gift has no
// donor with an address. A monthly gift's receipt links to the management
// page for customer, the subscription's Stripe customer, which holder (a
// donor record) holds.
func (s *Service) receiptEmail(ctx context.Context, tx pgx.Tx, g giftReceipt, holder *uuid.UUID, customer string) (*mail.Email, error) {
	if g.donor == nil || g.emailSealed == nil {
		return nil, nil
	}
	to, err := s.openEmail(*g.donor, g.emailSealed)
	if err != nil {
		return nil, err
	}
	covered, err := s.giftAid.Covered(ctx, tx, []uuid.UUID{g.donation})
	if err != nil {
		return nil, err
	}
	manage := ""
	if g.frequency == Monthly && holder != nil {
		if manage, err = s.manageURL(*holder, customer); err != nil {
			return nil, err
		}
	}
	return &mail.Email{Template: "donation-receipt", To: to, Data: map[string]any{
		"Name": greetingName(g.donorName), "Amount": pounds(g.amountPence), "Campaign": g.campaign,
		"Date": g.paidAt.In(London).Format(longDate), "Reference": g.donation.String(), "GiftAid": covered[g.donation],
		"Monthly": g.frequency == Monthly, "ManageURL": manage,
	}}, nil
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
