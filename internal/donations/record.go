package donations

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// donorDetails is who paid, as Stripe tells it.
type donorDetails struct {
	Email, Name, CustomerID string
}

// payment is a successful Stripe payment to put in the ledger.
type payment struct {
	AmountPence     int64
	Currency        string
	PaymentIntentID string
	ChargeID        string
	InvoiceID       string
	SessionID       string
	Frequency       string
	PaidAt          time.Time
	Donor           donorDetails
	CheckoutID      *uuid.UUID
	CampaignSlug    string
	SubscriptionID  *uuid.UUID
	// Source is the Stripe event that announced the payment.
	Source string
}

// recordPayment writes a payment to the ledger once, with its donor, its
// campaign and the Gift Aid declaration made at checkout, queues the
// receipt and applies any event that was waiting for it.
func (s *Service) recordPayment(ctx context.Context, tx pgx.Tx, p payment) error {
	if !strings.EqualFold(p.Currency, "gbp") || p.AmountPence <= 0 {
		// Never created by us: leave it for reconciliation to report.
		s.logger.WarnContext(ctx, "stripe payment not recorded: not a positive GBP amount", "payment_intent", p.PaymentIntentID, "invoice", p.InvoiceID, "currency", p.Currency)
		return nil
	}
	who, err := s.donorFor(ctx, tx, p.Donor, p.CheckoutID)
	if err != nil {
		return err
	}
	donorID := who.donorID()
	c, err := s.claimCheckout(ctx, tx, p.CheckoutID, donorID)
	if err != nil {
		return err
	}
	var campaignID *uuid.UUID
	if c.id != nil {
		campaignID = &c.campaignID
	}
	keys := paymentKeys(p)
	d, err := store.Q.DonationRecordStripe(ctx, tx, store.DonationRecordStripeParams{DonorID: donorID, CampaignID: campaignID,
		CampaignSlug: p.CampaignSlug, AmountPence: p.AmountPence, Frequency: p.Frequency,
		StripePaymentIntentID: store.NullText(p.PaymentIntentID), StripeInvoiceID: store.NullText(p.InvoiceID),
		StripeChargeID: store.NullText(p.ChargeID), StripeSessionID: store.NullText(p.SessionID),
		SubscriptionID: p.SubscriptionID, CheckoutID: c.id, GiftAidDeclarationID: c.declarationID, PaidAt: p.PaidAt,
		Source: p.Source, PaymentKeys: keys})
	if store.IsNotFound(err) {
		s.logger.InfoContext(ctx, "stripe payment already in the ledger", "payment_intent", p.PaymentIntentID, "invoice", p.InvoiceID)
		return nil // announced by another event
	}
	if err != nil {
		return fmt.Errorf("record donation: %w", err)
	}
	if err := audit.RecordAs(ctx, tx, systemActor, audit.Event{Action: "donation.received", TargetType: "donation", TargetID: d.ID.String(),
		Details: map[string]any{"amount_pence": d.AmountPence, "frequency": d.Frequency, "gift_aid": c.declarationID != nil}}); err != nil {
		return err
	}
	if err := s.queueAfterPayment(ctx, tx, d, p, who); err != nil {
		return err
	}
	if !d.Awaited {
		return nil
	}
	return s.applyDeferred(ctx, tx, keys)
}

// paymentKeys are the Stripe IDs an event waiting for p may name.
func paymentKeys(p payment) []string {
	var keys []string
	for _, k := range []string{p.PaymentIntentID, p.ChargeID, p.InvoiceID} {
		if k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// queueAfterPayment queues, in one insert, the receipt for a gift just
// recorded and the fetch of what the event does not carry (the charge,
// its fee and the payment method, from Stripe after answering, with
// retries).
func (s *Service) queueAfterPayment(ctx context.Context, tx pgx.Tx, d store.DonationRecordStripeRow, p payment, who *payer) error {
	email, err := s.receiptEmail(ctx, tx, giftReceipt{donation: d.ID, donor: d.DonorID, emailSealed: d.DonorEmailSealed, donorName: d.DonorName,
		campaign: d.CampaignName, amountPence: d.AmountPence, frequency: d.Frequency, paidAt: d.PaidAt}, who.holderID(), p.Donor.CustomerID)
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	if email != nil {
		job, err := s.outbox.Job(*email)
		if err != nil {
			return err
		}
		jobs = append(jobs, job)
	}
	if p.PaymentIntentID != "" {
		jobs = append(jobs, river.InsertManyParams{Args: FetchPaymentArgs{DonationID: d.ID, PaymentIntentID: p.PaymentIntentID}})
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := s.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("queue the receipt and payment details: %w", err)
	}
	return nil
}

// payer is the donor record a payment belongs to and the record that
// holds its Stripe customer: the same one unless a treasurer merged the
// customer's record into another. A management link names the holder,
// whose customer the Stripe portal must open.
type payer struct{ donor, holder uuid.UUID }

// donorID is the payment's donor, nil for an anonymous payment.
func (p *payer) donorID() *uuid.UUID {
	if p == nil {
		return nil
	}
	return &p.donor
}

// holderID is the record holding the payment's Stripe customer, if any.
func (p *payer) holderID() *uuid.UUID {
	if p == nil {
		return nil
	}
	return &p.holder
}

// donorFor returns the donor a payment belongs to: the record holding
// its Stripe customer (or the one a treasurer merged that into); else,
// when the payment's checkout was a member's (their verified identity),
// the member's donor record, which then holds this customer too; else a
// new record. The email and name are what the payer typed into Stripe, a
// claim and not an identity: they fill in a new record only, and never
// find, merge into or rename an existing one (a treasurer merges records
// that are one person). A payment with neither customer nor email has no
// donor record.
func (s *Service) donorFor(ctx context.Context, tx pgx.Tx, d donorDetails, checkoutID *uuid.UUID) (*payer, error) {
	if d.CustomerID != "" {
		found, err := store.Q.DonorGetByStripeCustomer(ctx, tx, d.CustomerID)
		if err == nil {
			return &payer{donor: found.ID, holder: found.HolderID}, nil
		}
		if !store.IsNotFound(err) {
			return nil, err
		}
		if member, err := s.checkoutMember(ctx, tx, checkoutID); err != nil {
			return nil, err
		} else if member != nil {
			id, err := store.Q.DonorForMember(ctx, tx, member)
			if err == nil {
				if err := store.Q.DonorCustomerAdd(ctx, tx, store.DonorCustomerAddParams{StripeCustomerID: d.CustomerID, DonorID: id}); err != nil {
					return nil, err
				}
				return s.donorFor(ctx, tx, d, nil) // as the table now says, whoever added it first
			}
			if !store.IsNotFound(err) {
				return nil, err
			}
		}
	}
	if d.CustomerID == "" && payerEmail(d.Email) == "" {
		return nil, nil
	}
	return s.insertDonor(ctx, tx, d)
}

// checkoutMember is the member whose checkout it was, if any.
func (s *Service) checkoutMember(ctx context.Context, tx pgx.Tx, checkoutID *uuid.UUID) (*uuid.UUID, error) {
	if checkoutID == nil {
		return nil, nil
	}
	c, err := store.Q.CheckoutGet(ctx, tx, *checkoutID)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.MemberID, nil
}

// insertDonor creates a donor record from a payer's details; for a Stripe
// customer another event may have created it meanwhile, and then that
// record is returned as it is.
func (s *Service) insertDonor(ctx context.Context, tx pgx.Tx, d donorDetails) (*payer, error) {
	id, name := uuid.New(), strings.TrimSpace(d.Name)
	if len(name) > 200 {
		name = name[:200]
	}
	box, hash := s.sealEmail(id, payerEmail(d.Email))
	if d.CustomerID != "" {
		row, err := store.Q.DonorInsertForCustomer(ctx, tx, store.DonorInsertForCustomerParams{ID: id, EmailSealed: box, EmailHash: hash, Name: name,
			StripeCustomerID: &d.CustomerID})
		if err != nil {
			return nil, fmt.Errorf("insert donor: %w", err)
		}
		if err := store.Q.DonorCustomerAdd(ctx, tx, store.DonorCustomerAddParams{StripeCustomerID: d.CustomerID, DonorID: row.HolderID}); err != nil {
			return nil, fmt.Errorf("insert donor's customer: %w", err)
		}
		return &payer{donor: row.DonorID, holder: row.HolderID}, nil
	}
	row, err := store.Q.DonorInsert(ctx, tx, store.DonorInsertParams{ID: id, EmailSealed: box, EmailHash: hash, Name: name})
	if err != nil {
		return nil, fmt.Errorf("insert donor: %w", err)
	}
	return &payer{donor: row.ID, holder: row.ID}, nil
}

// payerEmail is the address to keep for a payer, or "" when there is none
// that fits.
func payerEmail(raw string) string {
	email := strings.ToLower(strings.TrimSpace(raw))
	if len(email) < 3 || len(email) > 254 {
		return ""
	}
	return email
}

// checkoutRef is what a completed checkout contributes to a payment.
type checkoutRef struct {
	id            *uuid.UUID
	campaignID    uuid.UUID
	memberID      *uuid.UUID
	declarationID *uuid.UUID
}

// claimCheckout completes our checkout record for a paid session: its
// sealed Gift Aid details become a declaration for the donor (once; the
// checkout row is locked), and the member link passes to the donor.
func (s *Service) claimCheckout(ctx context.Context, tx pgx.Tx, id *uuid.UUID, donorID *uuid.UUID) (checkoutRef, error) {
	if id == nil {
		return checkoutRef{}, nil
	}
	c, err := store.Q.CheckoutGetForUpdate(ctx, tx, *id)
	if store.IsNotFound(err) {
		return checkoutRef{}, nil
	}
	if err != nil {
		return checkoutRef{}, err
	}
	ref := checkoutRef{id: &c.ID, campaignID: c.CampaignID, memberID: c.MemberID}
	if c.GiftAidSealed != nil && donorID != nil {
		nd, err := s.giftAid.OpenPending(c.GiftAidSealed, c.ID)
		if err != nil {
			return checkoutRef{}, err
		}
		nd.DonorID, nd.MemberID = donorID, c.MemberID
		declID, err := s.giftAid.CreateTx(ctx, tx, nd)
		if err != nil {
			return checkoutRef{}, err
		}
		ref.declarationID = &declID
	}
	if c.MemberID != nil && donorID != nil {
		if _, err := store.Q.DonorUpsertMember(ctx, tx, store.DonorUpsertMemberParams{ID: *donorID, MemberID: c.MemberID}); err != nil {
			return checkoutRef{}, err
		}
	}
	if c.Status == "open" && donorID != nil {
		if err := store.Q.CheckoutFinish(ctx, tx, store.CheckoutFinishParams{ID: c.ID, Status: "completed"}); err != nil {
			return checkoutRef{}, err
		}
	}
	return ref, nil
}

// campaignFor is the checkout's campaign, else the one named in Stripe
// metadata, else general: a payment is never dropped for want of one.
func (s *Service) campaignFor(ctx context.Context, tx pgx.Tx, c checkoutRef, slug string) (uuid.UUID, error) {
	if c.id != nil {
		return c.campaignID, nil
	}
	if slug != "" {
		if row, err := store.Q.CampaignGetBySlug(ctx, tx, slug); err == nil {
			return row.ID, nil
		} else if !store.IsNotFound(err) {
			return uuid.Nil, err
		}
	}
	row, err := store.Q.CampaignGetBySlug(ctx, tx, "general")
	if err != nil {
		return uuid.Nil, fmt.Errorf("general campaign: %w", err)
	}
	return row.ID, nil
}
