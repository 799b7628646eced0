package donations

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/stripe/stripe-go/v82"
)

// Frequencies of giving.
const (
	OneOff  = "one_off"
	Monthly = "monthly"
)

// Metadata keys we put on Stripe objects to find our records again.
const (
	metaCheckout = "hpa_checkout_id"
	metaCampaign = "hpa_campaign"
)

// CheckoutRequest is a donor's request to give.
type CheckoutRequest struct {
	AmountPence int64
	Currency    string
	Frequency   string
	Campaign    string
	// Email prefills Stripe's form; Stripe collects it otherwise.
	Email string
	// GiftAid is the donor's declaration, if they made one.
	GiftAid *giftaid.NewDeclaration
	// MemberID links the gift to a member: the signed-in member themself,
	// or one a treasurer names. It must be a member who confirmed their
	// address and was not erased.
	MemberID *uuid.UUID
}

// Checkout is a created Stripe Checkout Session to send the donor to.
type Checkout struct {
	ID        uuid.UUID
	SessionID string
	URL       string
	ExpiresAt time.Time
}

// validate checks everything the server decides about a gift: the
// amount in whole pence within limits, GBP, a known campaign, the
// declaration. It returns the campaign.
func (s *Service) validateCheckout(ctx context.Context, r *CheckoutRequest) (*Campaign, error) {
	var fields []hpa.FieldError
	if r.AmountPence < s.settings.MinPence || r.AmountPence > s.settings.MaxPence {
		fields = append(fields, hpa.FieldError{Location: "body.amount_pence", Message: fmt.Sprintf("must be between %d and %d pence (£%s to £%s)",
			s.settings.MinPence, s.settings.MaxPence, giftaid.FormatPounds(s.settings.MinPence), giftaid.FormatPounds(s.settings.MaxPence))})
	}
	if !strings.EqualFold(r.Currency, "GBP") {
		fields = append(fields, hpa.FieldError{Location: "body.currency", Message: "HPA accepts gifts in pounds sterling (GBP) only"})
	}
	if r.Frequency != OneOff && r.Frequency != Monthly {
		fields = append(fields, hpa.FieldError{Location: "body.frequency", Message: "must be one_off or monthly"})
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			fields = append(fields, hpa.FieldError{Location: "body.email", Message: "must be a valid email address"})
		}
	}
	if len(fields) > 0 {
		return nil, &hpa.Error{Code: hpa.EINVALID, Reason: ReasonInvalidGift, Message: "the gift cannot be taken as asked", Fields: fields}
	}
	if r.MemberID != nil {
		m, err := s.members.Contact(ctx, s.db, *r.MemberID)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, hpa.Invalid("body.member_id", "is not a member who confirmed their address (unknown, never confirmed or erased)").WithReason(ReasonUnknownMember)
		}
	}
	campaign, err := s.Campaign(ctx, r.Campaign, false)
	if err != nil {
		if hpa.ErrorCode(err) == hpa.ENOTFOUND {
			return nil, hpa.Invalid("body.campaign", "is not a campaign open for gifts (see GET /v1/campaigns)").WithReason(ReasonUnknownCampaign)
		}
		return nil, err
	}
	if r.GiftAid != nil {
		r.GiftAid.Method = giftaid.MethodOnline
		r.GiftAid.DeclaredOn = s.now()
		if err := r.GiftAid.Validate("body.gift_aid"); err != nil {
			return nil, err
		}
		if r.Frequency == Monthly && r.GiftAid.Scope == giftaid.ScopeThisGift {
			return nil, hpa.Invalid("body.gift_aid.scope", "a monthly gift needs this_and_future or past_four_years_and_future")
		}
	}
	return campaign, nil
}

// CreateCheckout validates a gift and creates a Stripe Checkout Session
// for it. The donor's Gift Aid details wait, sealed, until the payment
// succeeds. Stripe's own idempotency key is the checkout's ID.
func (s *Service) CreateCheckout(ctx context.Context, r CheckoutRequest) (*Checkout, error) {
	campaign, err := s.validateCheckout(ctx, &r)
	if err != nil {
		return nil, err
	}
	sc, err := s.stripeClient()
	if err != nil {
		return nil, err
	}
	id := uuid.New()
	p := store.CheckoutInsertParams{ID: id, Frequency: r.Frequency, AmountPence: r.AmountPence, CampaignID: campaign.ID, MemberID: r.MemberID}
	if r.GiftAid != nil {
		keyID, box, err := s.giftAid.SealPending(*r.GiftAid, id)
		if err != nil {
			return nil, err
		}
		p.GiftAidKeyID, p.GiftAidSealed = &keyID, box
	}
	if _, err := store.Q.CheckoutInsert(ctx, s.db, p); err != nil {
		return nil, fmt.Errorf("insert checkout: %w", err)
	}
	customer := ""
	if r.MemberID != nil {
		// The member's own Stripe customer, so their gifts, portal and
		// emails stay one customer's.
		customer, err = store.Q.DonorCustomerForMember(ctx, s.db, r.MemberID)
		if err != nil && !store.IsNotFound(err) {
			return nil, fmt.Errorf("member's stripe customer: %w", err)
		}
	}
	session, err := sc.V1CheckoutSessions.Create(ctx, s.sessionParams(id, campaign, r, customer))
	if err != nil {
		_ = store.Q.CheckoutFinish(context.WithoutCancel(ctx), s.db, store.CheckoutFinishParams{ID: id, Status: "failed"})
		return nil, s.stripeUnavailable(ctx, "create checkout session", err)
	}
	if err := store.Q.CheckoutSetSession(ctx, s.db, store.CheckoutSetSessionParams{ID: id, StripeSessionID: &session.ID}); err != nil {
		return nil, fmt.Errorf("record checkout session: %w", err)
	}
	return &Checkout{ID: id, SessionID: session.ID, URL: session.URL, ExpiresAt: time.Unix(session.ExpiresAt, 0).UTC()}, nil
}

// sessionParams describes the Checkout Session; customer, when not empty,
// is the donor's existing Stripe customer, which the session reuses.
func (s *Service) sessionParams(id uuid.UUID, campaign *Campaign, r CheckoutRequest, customer string) *stripe.CheckoutSessionCreateParams {
	meta := map[string]string{metaCheckout: id.String(), metaCampaign: campaign.Slug}
	price := &stripe.CheckoutSessionCreateLineItemPriceDataParams{
		Currency:    stripe.String("gbp"),
		UnitAmount:  stripe.Int64(r.AmountPence),
		ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String("Gift to the Harmed Patients Alliance: " + campaign.Name)},
	}
	p := &stripe.CheckoutSessionCreateParams{
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{PriceData: price, Quantity: stripe.Int64(1)}},
		SuccessURL:        stripe.String(sitelinks.DonateThanks.URL(s.settings.SiteURL, "{CHECKOUT_SESSION_ID}")),
		CancelURL:         stripe.String(sitelinks.Donate.URL(s.settings.SiteURL, "1")),
		ClientReferenceID: stripe.String(id.String()),
		Metadata:          meta,
	}
	if customer != "" {
		p.Customer = stripe.String(customer)
	} else if r.Email != "" {
		p.CustomerEmail = stripe.String(r.Email)
	}
	if r.Frequency == Monthly {
		p.Mode = stripe.String(string(stripe.CheckoutSessionModeSubscription))
		price.Recurring = &stripe.CheckoutSessionCreateLineItemPriceDataRecurringParams{Interval: stripe.String("month")}
		p.SubscriptionData = &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta}
	} else {
		p.Mode = stripe.String(string(stripe.CheckoutSessionModePayment))
		p.SubmitType = stripe.String("donate")
		if customer == "" {
			p.CustomerCreation = stripe.String("always")
		}
		p.PaymentIntentData = &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta}
	}
	p.SetIdempotencyKey("hpa-checkout-" + id.String())
	return p
}
