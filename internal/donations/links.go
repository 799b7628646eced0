package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/stripe/stripe-go/v82"
)

// linkAudience marks donor management links; no other token is accepted
// in their place, nor they in place of another.
const linkAudience = "hpa-donor"

// linkTTL is how long a management link in an email works.
const linkTTL = 30 * 24 * time.Hour

// linkClaims are a management link's claims: the donor record (subject)
// and the Stripe customer the link manages, which that record holds.
type linkClaims struct {
	jwt.RegisteredClaims
	Customer string `json:"cus,omitempty"`
}

// manageURL is the signed link a donor follows to manage their monthly
// gift: the donate page's /manage, carrying a token for them alone that
// opens customer ("" for the record's first).
func (s *Service) manageURL(donorID uuid.UUID, customer string) (string, error) {
	if len(s.settings.LinkKeys) == 0 {
		return "", nil
	}
	key := s.settings.LinkKeys[0]
	now := s.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, linkClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: s.settings.PublicBaseURL, Audience: jwt.ClaimStrings{linkAudience}, Subject: donorID.String(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(linkTTL)), ID: uuid.NewString(),
	}, Customer: customer})
	tok.Header["kid"] = key.ID
	signed, err := tok.SignedString(key.Secret)
	if err != nil {
		return "", err
	}
	return sitelinks.ManageGift.URL(s.settings.SiteURL, signed), nil
}

// donorFromLink checks a management link's token and returns its donor
// and the customer it manages ("" in links made before they named one).
func (s *Service) donorFromLink(token string) (uuid.UUID, string, error) {
	invalid := hpa.Errorf(hpa.EUNAUTHORIZED, "this link is not valid or has expired; the latest receipt email has a fresh one").WithReason(ReasonInvalidDonorLink)
	claims := &linkClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range s.settings.LinkKeys {
			if k.ID == kid {
				return k.Secret, nil
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithAudience(linkAudience), jwt.WithIssuer(s.settings.PublicBaseURL),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return uuid.Nil, "", invalid
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return uuid.Nil, "", invalid
	}
	return id, claims.Customer, nil
}

// PortalSession turns a donor's management link into a Stripe Customer
// Portal session, where they change the amount or card of their monthly
// gift or cancel it. Returns the portal URL.
func (s *Service) PortalSession(ctx context.Context, token string) (string, error) {
	donorID, customer, err := s.donorFromLink(token)
	if err != nil {
		return "", err
	}
	none := hpa.Errorf(hpa.ENOTFOUND, "there is no online giving to manage for this link").WithReason(ReasonNoStripeCustomer)
	if customer != "" {
		held, err := store.Q.DonorCustomerHeldBy(ctx, s.db, store.DonorCustomerHeldByParams{StripeCustomerID: customer, DonorID: donorID})
		if err != nil {
			return "", fmt.Errorf("held donor customer by: %w", err)
		}
		if !held {
			return "", none
		}
	} else {
		donor, err := store.Q.DonorGet(ctx, s.db, donorID)
		if store.IsNotFound(err) || (err == nil && donor.StripeCustomerID == nil) {
			return "", none
		}
		if err != nil {
			return "", err
		}
		customer = *donor.StripeCustomerID
	}
	sc, err := s.stripeClient()
	if err != nil {
		return "", err
	}
	session, err := sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(customer), ReturnURL: stripe.String(sitelinks.Donate.URL(s.settings.SiteURL)),
	})
	if err != nil {
		return "", s.stripeUnavailable(ctx, "create portal session", err)
	}
	actorCtx := audit.WithActor(ctx, audit.Actor{Type: audit.ActorAnonymous})
	if err := audit.Record(actorCtx, s.db, audit.Event{Action: "donor.portal_session", TargetType: "donor", TargetID: donorID.String()}); err != nil {
		return "", err
	}
	return session.URL, nil
}
