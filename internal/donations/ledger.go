package donations

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
)

// Donation is one gift in the ledger.
type Donation struct {
	ID                    uuid.UUID
	DonorID               *uuid.UUID
	DonorEmail, DonorName string
	Campaign              string
	AmountPence           int64
	RefundedPence         int64
	FeePence              *int64
	Currency              string
	Channel               string
	Method                string
	Frequency             string
	Status                string
	DisputeStatus         string
	// DisputeFeePence is what Stripe charged for a dispute on the gift.
	DisputeFeePence       int64
	StripePaymentIntentID string
	StripeChargeID        string
	StripeInvoiceID       string
	SubscriptionID        *uuid.UUID
	GiftAidDeclarationID  *uuid.UUID
	GiftAidClaimID        *uuid.UUID
	// SmallDonation: taken under the Gift Aid Small Donations Scheme.
	SmallDonation bool
	Reference     string
	PaidAt        time.Time
	CreatedAt     time.Time
}

// donationFrom is a ledger row with the donor's address opened.
func (s *Service) donationFrom(r store.DonationListRow) (Donation, error) {
	var email string
	if r.DonorID != nil {
		var err error
		if email, err = s.openEmail(*r.DonorID, r.DonorEmailSealed); err != nil {
			return Donation{}, err
		}
	}
	return Donation{ID: r.ID, DonorID: r.DonorID, DonorEmail: email, DonorName: store.Text(r.DonorName), Campaign: r.CampaignSlug,
		AmountPence: r.AmountPence, RefundedPence: r.RefundedPence, FeePence: r.FeePence, Currency: r.Currency, Channel: r.Channel, Method: r.Method,
		Frequency: r.Frequency, Status: r.Status, DisputeStatus: store.Text(r.DisputeStatus), DisputeFeePence: r.DisputeFeePence, StripePaymentIntentID: store.Text(r.StripePaymentIntentID),
		StripeChargeID: store.Text(r.StripeChargeID), StripeInvoiceID: store.Text(r.StripeInvoiceID), SubscriptionID: r.SubscriptionID,
		GiftAidDeclarationID: r.GiftAidDeclarationID, GiftAidClaimID: r.GiftAidClaimID, SmallDonation: r.SmallDonation, Reference: r.Reference, PaidAt: r.PaidAt, CreatedAt: r.CreatedAt}, nil
}

// donationsFrom is donationFrom for a page of rows.
func (s *Service) donationsFrom(rows []store.DonationListRow) ([]Donation, error) {
	out := make([]Donation, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = s.donationFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Filter narrows a list of donations. From and To bound paid_at.
type Filter struct {
	From, To  time.Time
	Campaign  string
	Channel   string
	Status    string
	Frequency string
	DonorID   *uuid.UUID
	// Before is the cursor: the last item of the previous page.
	Before *Cursor
	Limit  int
}

// Cursor is a position in a list ordered newest first.
type Cursor struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

func (f Filter) params() store.DonationListParams {
	p := store.DonationListParams{FromTime: f.From, ToTime: f.To, Campaign: store.NullText(f.Campaign), Channel: store.NullText(f.Channel),
		Status: store.NullText(f.Status), Frequency: store.NullText(f.Frequency), DonorID: f.DonorID, PageSize: int32(f.Limit)}
	if p.FromTime.IsZero() {
		p.FromTime = time.Unix(0, 0)
	}
	if p.ToTime.IsZero() {
		p.ToTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.Before != nil {
		p.BeforePaid, p.BeforeID = &f.Before.At, &f.Before.ID
	}
	return p
}

// ListDonations returns gifts newest first, audit-logged.
func (s *Service) ListDonations(ctx context.Context, f Filter) ([]Donation, error) {
	rows, err := store.Q.DonationList(ctx, s.db, f.params())
	if err != nil {
		return nil, fmt.Errorf("list donation: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "donation.list", TargetType: "donation", Details: map[string]any{"count": len(rows)}}); err != nil {
		return nil, err
	}
	return s.donationsFrom(rows)
}

// Refund is one refund of a gift.
type Refund struct {
	ID             uuid.UUID
	StripeRefundID string
	AmountPence    int64
	Reason         string
	Note           string
	// Status is succeeded, or failed or canceled when Stripe did not make it.
	Status    string
	CreatedAt time.Time
}

// GetDonation returns one gift and its refunds, audit-logged.
func (s *Service) GetDonation(ctx context.Context, id uuid.UUID) (*Donation, []Refund, error) {
	row, err := store.Q.DonationGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, nil, hpa.Errorf(hpa.ENOTFOUND, "no donation has this ID")
	}
	if err != nil {
		return nil, nil, err
	}
	refunds, err := store.Q.RefundListByDonation(ctx, s.db, id)
	if err != nil {
		return nil, nil, fmt.Errorf("list refund by donation: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "donation.read", TargetType: "donation", TargetID: id.String()}); err != nil {
		return nil, nil, err
	}
	d, err := s.donationFrom(store.DonationListRow(row))
	if err != nil {
		return nil, nil, err
	}
	out := make([]Refund, len(refunds))
	for i, r := range refunds {
		out[i] = Refund{ID: r.ID, StripeRefundID: store.Text(r.StripeRefundID), AmountPence: r.AmountPence, Reason: r.Reason, Note: r.Note, Status: r.Status, CreatedAt: r.CreatedAt}
	}
	return &d, out, nil
}

// OfflineGift is a gift the treasurer received by cheque, bank transfer
// or in cash.
type OfflineGift struct {
	AmountPence int64
	Method      string
	ReceivedOn  time.Time
	Campaign    string
	// DonorID names an existing donor; otherwise DonorEmail and DonorName
	// make a new one (both empty: an anonymous gift).
	DonorID              *uuid.UUID
	DonorEmail           string
	DonorName            string
	GiftAidDeclarationID *uuid.UUID
	Reference            string
	SendReceipt          bool
	// smallDonation marks a gift for the Gift Aid Small Donations Scheme;
	// only RecordSmallDonation, which checks the scheme's rules, sets it.
	smallDonation bool
}

// RecordOffline enters an offline gift in the ledger, audit-logged.
func (s *Service) RecordOffline(ctx context.Context, g OfflineGift, by uuid.UUID) (*Donation, error) {
	if g.AmountPence <= 0 || g.AmountPence > s.settings.MaxPence*100 {
		return nil, hpa.Invalid("body.amount_pence", "must be a positive whole number of pence")
	}
	if g.ReceivedOn.After(s.now()) {
		return nil, hpa.Invalid("body.received_on", "must not be in the future")
	}
	var id uuid.UUID
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		campaign, err := store.Q.CampaignGetBySlug(ctx, tx, g.Campaign)
		if store.IsNotFound(err) {
			return hpa.Invalid("body.campaign", "is not a campaign").WithReason(ReasonUnknownCampaign)
		} else if err != nil {
			return err
		}
		donorID := g.DonorID
		if donorID != nil {
			if d, err := store.Q.DonorGet(ctx, tx, *donorID); store.IsNotFound(err) {
				return hpa.Invalid("body.donor_id", "no donor has this ID")
			} else if err != nil {
				return err
			} else if d.MergedInto != nil {
				return mergedInvalid("body.donor_id", *d.MergedInto)
			}
		} else if g.DonorEmail != "" || g.DonorName != "" {
			// A new record, whatever other donor gave this address: the
			// treasurer names an existing donor by donor_id.
			who, err := s.insertDonor(ctx, tx, donorDetails{Email: g.DonorEmail, Name: g.DonorName})
			if err != nil {
				return err
			}
			donorID = who.donorID()
		}
		if g.GiftAidDeclarationID != nil {
			if err := s.giftAid.CheckGiftDeclarationTx(ctx, tx, *g.GiftAidDeclarationID, donorID, "body.gift_aid_declaration_id"); err != nil {
				return err
			}
		}
		d, err := store.Q.DonationInsertOffline(ctx, tx, store.DonationInsertOfflineParams{DonorID: donorID, CampaignID: campaign.ID,
			AmountPence: g.AmountPence, Method: g.Method, GiftAidDeclarationID: g.GiftAidDeclarationID, SmallDonation: g.smallDonation,
			Reference: g.Reference, PaidAt: receivedAt(g.ReceivedOn, s.now()), RecordedBy: &by})
		if err != nil {
			return fmt.Errorf("record offline gift: %w", err)
		}
		id = d.ID
		if err := writeEntry(ctx, tx, entry{kind: EntryGift, amount: d.AmountPence, donation: d.ID, at: d.PaidAt, source: staffSource(by), key: "gift:" + d.ID.String()}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "donation.record_offline", TargetType: "donation", TargetID: d.ID.String(),
			Details: map[string]any{"amount_pence": d.AmountPence, "method": d.Method, "small_donation": d.SmallDonation}}); err != nil {
			return err
		}
		if g.SendReceipt {
			return s.sendReceipt(ctx, tx, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d, _, err := s.GetDonation(ctx, id)
	return d, err
}

// receivedAt places an offline gift received on a UK date at midday that
// day, or now if the gift came in today before midday.
func receivedAt(day, now time.Time) time.Time {
	noon := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, London)
	if noon.After(now) {
		return now
	}
	return noon
}

// stripeRefundReasons are the reasons Stripe itself accepts.
var stripeRefundReasons = map[string]bool{"requested_by_customer": true, "duplicate": true, "fraudulent": true}

// RefundRequest asks for part or all of a gift back.
type RefundRequest struct {
	DonationID  uuid.UUID
	AmountPence int64
	Reason      string
	Note        string
	By          uuid.UUID
	// RequestKey names this request across retries (the caller and their
	// Idempotency-Key): Stripe is given a key derived from it, so a retry
	// after Stripe refunded but HPA did not record it refunds once.
	RequestKey string
}

// stripeKey is the idempotency key Stripe gets for the refund: derived
// from the request's key when there is one, else from the gift's state
// (two identical requests in a row then differ, as they should).
func (r RefundRequest) stripeKey(refundedSoFar int64) string {
	if r.RequestKey == "" {
		return fmt.Sprintf("hpa-refund-%s-%d-%d", r.DonationID, refundedSoFar, r.AmountPence)
	}
	sum := sha256.Sum256([]byte(r.RequestKey))
	return fmt.Sprintf("hpa-refund-%s-%x", r.DonationID, sum[:16])
}

// RefundDonation refunds part or all of a gift: through Stripe for online
// gifts, as a record for offline ones. It refuses more than is left. The
// gift stays locked until Stripe answers, so two refunds cannot together
// exceed it.
func (s *Service) RefundDonation(ctx context.Context, req RefundRequest) (*Donation, error) {
	id, amount, reason, note, by := req.DonationID, req.AmountPence, req.Reason, req.Note, req.By
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		d, err := store.Q.DonationGetForUpdate(ctx, tx, id)
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no donation has this ID")
		}
		if err != nil {
			return err
		}
		if d.Status == "disputed" {
			return hpa.Errorf(hpa.ECONFLICT, "this gift is disputed: Stripe settles it through the dispute").WithReason(ReasonDonationDisputed)
		}
		if left := d.AmountPence - d.RefundedPence; amount > left {
			return hpa.Invalid("body.amount_pence", fmt.Sprintf("is more than the %d pence left to refund on this gift", left)).WithReason(ReasonRefundExceedsGift)
		}
		refundID := ""
		if d.Channel == "online" {
			sc, err := s.stripeClient()
			if err != nil {
				return err
			}
			params := &stripe.RefundCreateParams{Amount: stripe.Int64(amount), Metadata: map[string]string{"hpa_donation_id": id.String()}}
			if d.StripePaymentIntentID != nil {
				params.PaymentIntent = d.StripePaymentIntentID
			} else if d.StripeChargeID != nil {
				params.Charge = d.StripeChargeID
			} else {
				return hpa.Errorf(hpa.ECONFLICT, "this gift's Stripe payment is not known yet; try again later").WithReason(ReasonPaymentNotSettled)
			}
			if stripeRefundReasons[reason] {
				params.Reason = stripe.String(reason)
			}
			params.SetIdempotencyKey(req.stripeKey(d.RefundedPence))
			r, err := sc.V1Refunds.Create(ctx, params)
			if err != nil {
				var se *stripe.Error
				if errors.As(err, &se) && se.HTTPStatusCode >= 400 && se.HTTPStatusCode < 500 {
					return hpa.Errorf(hpa.ECONFLICT, "Stripe refused the refund: %s", se.Msg).WithReason(ReasonStripeRefusedRefund)
				}
				return s.stripeUnavailable(ctx, "create refund", err)
			}
			refundID = r.ID
		}
		if _, err := store.Q.DonationAddRefund(ctx, tx, store.DonationAddRefundParams{ID: id, AmountPence: amount}); err != nil {
			return fmt.Errorf("record refund of %s: %w", id, err)
		}
		r, err := store.Q.RefundInsert(ctx, tx, store.RefundInsertParams{DonationID: id, StripeRefundID: store.NullText(refundID), AmountPence: amount,
			Reason: reason, Note: note, CreatedBy: &by})
		if err != nil {
			return fmt.Errorf("record refund of %s: %w", id, err)
		}
		if err := writeEntry(ctx, tx, entry{kind: EntryRefund, amount: -amount, donation: id, at: r.CreatedAt, source: staffSource(by), key: "refund:" + r.ID.String()}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "donation.refund", TargetType: "donation", TargetID: id.String(),
			Details: map[string]any{"amount_pence": amount, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	d, _, err := s.GetDonation(ctx, id)
	return d, err
}
