package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Donor is someone who gave.
type Donor struct {
	ID               uuid.UUID
	Email            string
	Name             string
	StripeCustomerID string
	// StripeCustomerIDs are every customer the record holds (GetDonor only).
	StripeCustomerIDs []string
	MemberID          *uuid.UUID
	GiftCount         int64
	TotalPence        int64
	Monthly           bool
	CreatedAt         time.Time
}

// Subscription is a monthly donor's standing gift.
type Subscription struct {
	ID                   uuid.UUID
	StripeSubscriptionID string
	Campaign             string
	AmountPence          int64
	Status               string
	CancelAtPeriodEnd    bool
	CurrentPeriodEnd     *time.Time
	CanceledAt           *time.Time
	CreatedAt            time.Time
}

func subscriptionFrom(s store.SubscriptionListByDonorRow) Subscription {
	return Subscription{ID: s.ID, StripeSubscriptionID: s.StripeSubscriptionID, Campaign: s.CampaignSlug, AmountPence: s.AmountPence,
		Status: s.Status, CancelAtPeriodEnd: s.CancelAtPeriodEnd, CurrentPeriodEnd: s.CurrentPeriodEnd, CanceledAt: s.CanceledAt, CreatedAt: s.CreatedAt}
}

// Live reports whether the subscription still takes (or retries) payments.
func (s Subscription) Live() bool {
	return s.Status == "active" || s.Status == "trialing" || s.Status == "past_due"
}

// DonorCursor is a position in the donor list.
type DonorCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

// donorEmailContext binds a donor's sealed address to their record.
func donorEmailContext(id uuid.UUID) string { return "donors.email:" + id.String() }

// sealEmail seals donor id's address and returns it with the keyed hash
// that finds the donor by it; no address seals to nothing.
func (s *Service) sealEmail(id uuid.UUID, email string) (box, hash []byte) {
	if email == "" {
		return nil, nil
	}
	return s.ring.SealString(email, donorEmailContext(id)), s.hasher.Email(email)
}

// openEmail opens donor id's sealed address ("" for none).
func (s *Service) openEmail(id uuid.UUID, box []byte) (string, error) {
	email, err := s.ring.OpenString(box, donorEmailContext(id))
	if err != nil {
		return "", fmt.Errorf("open donor %s email: %w", id, err)
	}
	return email, nil
}

// ListDonors returns donors newest first, optionally those with an
// address (compared in its normalised form, hpa.EmailKey), audit-logged.
func (s *Service) ListDonors(ctx context.Context, email string, before *DonorCursor, limit int) ([]Donor, error) {
	p := store.DonorListParams{PageSize: int32(limit)}
	if email != "" {
		p.EmailHash = s.hasher.Email(email)
	}
	if before != nil {
		p.BeforeCreated, p.BeforeID = &before.CreatedAt, &before.ID
	}
	rows, err := store.Q.DonorList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list donor: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "donor.list", TargetType: "donor", Details: map[string]any{"count": len(rows)}}); err != nil {
		return nil, err
	}
	out := make([]Donor, len(rows))
	for i, r := range rows {
		email, err := s.openEmail(r.ID, r.EmailSealed)
		if err != nil {
			return nil, err
		}
		out[i] = Donor{ID: r.ID, Email: email, Name: r.Name, StripeCustomerID: store.Text(r.StripeCustomerID), MemberID: r.MemberID,
			GiftCount: r.GiftCount, TotalPence: r.TotalPence, Monthly: r.Monthly, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// GetDonor returns a donor with their subscriptions and latest gifts,
// audit-logged.
func (s *Service) GetDonor(ctx context.Context, id uuid.UUID) (*Donor, []Subscription, []Donation, error) {
	r, err := store.Q.DonorGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, nil, nil, hpa.Errorf(hpa.ENOTFOUND, "no donor has this ID")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if r.MergedInto != nil {
		return nil, nil, nil, mergedNotFound(*r.MergedInto)
	}
	subs, err := store.Q.SubscriptionListByDonor(ctx, s.db, &id)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list subscription by donor: %w", err)
	}
	gifts, err := store.Q.DonationList(ctx, s.db, Filter{DonorID: &id, Limit: 200}.params())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list donation: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "donor.read", TargetType: "donor", TargetID: id.String()}); err != nil {
		return nil, nil, nil, err
	}
	email, err := s.openEmail(r.ID, r.EmailSealed)
	if err != nil {
		return nil, nil, nil, err
	}
	customers, err := store.Q.DonorCustomerList(ctx, s.db, id)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list donor customer: %w", err)
	}
	d := &Donor{ID: r.ID, Email: email, Name: r.Name, StripeCustomerID: store.Text(r.StripeCustomerID), StripeCustomerIDs: append([]string{}, customers...),
		MemberID: r.MemberID, CreatedAt: r.CreatedAt}
	outSubs := make([]Subscription, len(subs))
	for i, sub := range subs {
		outSubs[i] = subscriptionFrom(sub)
		d.Monthly = d.Monthly || outSubs[i].Live()
	}
	outGifts, err := s.donationsFrom(gifts)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, g := range gifts {
		if g.Status != "disputed" {
			d.TotalPence += g.AmountPence - g.RefundedPence
		}
	}
	d.GiftCount = int64(len(gifts))
	return d, outSubs, outGifts, nil
}

// MemberGiving returns a member's own gifts (newest first, at most 500)
// and monthly subscriptions, through the donor records linked to them.
func (s *Service) MemberGiving(ctx context.Context, memberID uuid.UUID) ([]Subscription, []Donation, error) {
	subs, err := store.Q.SubscriptionListByMember(ctx, s.db, &memberID)
	if err != nil {
		return nil, nil, fmt.Errorf("list subscription by member: %w", err)
	}
	gifts, err := store.Q.DonationListByMember(ctx, s.db, &memberID)
	if err != nil {
		return nil, nil, fmt.Errorf("list donation by member: %w", err)
	}
	outSubs := make([]Subscription, len(subs))
	for i, sub := range subs {
		outSubs[i] = subscriptionFrom(store.SubscriptionListByDonorRow(sub))
	}
	rows := make([]store.DonationListRow, len(gifts))
	for i, g := range gifts {
		rows[i] = store.DonationListRow(g)
	}
	outGifts, err := s.donationsFrom(rows)
	if err != nil {
		return nil, nil, err
	}
	return outSubs, outGifts, nil
}
