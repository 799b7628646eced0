package donations

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stripe/stripe-go/v82"
)

// Directory answers whether a member can have gifts linked to them: one
// who confirmed their address and has not been erased. members.Service is
// one.
type Directory interface {
	Contact(ctx context.Context, db store.DBTX, memberID uuid.UUID) (*members.Recipient, error)
}

// Settings configure donations.
type Settings struct {
	// StripeKey is the secret API key; empty means Stripe is not set up
	// and operations needing it answer 503.
	StripeKey string
	// StripeURL is Stripe's API base URL (stripe-mock in tests).
	StripeURL string
	// WebhookSecrets verify webhook signatures; several during rotation.
	WebhookSecrets   []string
	WebhookTolerance time.Duration
	MinPence         int64
	MaxPence         int64
	Presets          []int64
	// SiteURL is the website: Checkout and the billing portal return to
	// its donate pages and receipts link to its management page
	// (package sitelinks).
	SiteURL string
	// LinkKeys sign donors' management links (the JWT keys); the first signs.
	LinkKeys []LinkKey
	// PublicBaseURL is the API's own URL, the links' issuer.
	PublicBaseURL string
}

// LinkKey is one HMAC key for donor links.
type LinkKey struct {
	ID     string
	Secret []byte
}

// Deps are what donations works with besides the database.
type Deps struct {
	// GiftAid checks and records Gift Aid on gifts.
	GiftAid *giftaid.Service
	// Members links gifts only to members it knows.
	Members Directory
	// Ring seals donors' addresses; Hasher's keyed hash finds them.
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
	Outbox *mail.Outbox
	// Jobs enqueues background work.
	Jobs   *river.Client[pgx.Tx]
	Logger *slog.Logger
}

// Service is the donations capability.
type Service struct {
	db store.DB
	// reads answers exports: a read replica, or db.
	reads    store.DB
	stripe   *stripe.Client
	settings Settings
	giftAid  *giftaid.Service
	members  Directory
	ring     *sealed.Ring
	hasher   *sealed.Hasher
	outbox   *mail.Outbox
	jobs     *river.Client[pgx.Tx]
	now      func() time.Time
	logger   *slog.Logger
}

// NewService returns the donations capability on db.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	s := &Service{db: db, reads: db, settings: settings, giftAid: deps.GiftAid, members: deps.Members, ring: deps.Ring, hasher: deps.Hasher,
		outbox: deps.Outbox, jobs: deps.Jobs, now: now, logger: deps.Logger}
	if settings.StripeKey != "" {
		s.stripe = newStripeClient(settings.StripeKey, settings.StripeURL)
	}
	return s
}

// ReadFrom makes exports of gifts read from replica, so that a large
// export does not load the primary.
func (s *Service) ReadFrom(replica store.DB) { s.reads = replica }

func newStripeClient(key, apiURL string) *stripe.Client {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(apiURL),
		HTTPClient:        &http.Client{Timeout: 20 * time.Second},
		MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	return stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
}

// Settings returns the service's settings (amount limits for the API).
func (s *Service) Settings() Settings { return s.settings }

// stripeClient returns the client or the error saying Stripe is not set up.
func (s *Service) stripeClient() (*stripe.Client, error) {
	if s.stripe == nil {
		return nil, hpa.Errorf(hpa.EUNAVAILABLE, "online giving is not set up on this server").WithReason(ReasonStripeNotConfigured)
	}
	return s.stripe, nil
}

// stripeUnavailable reports a failed call to Stripe as 503, logging why.
func (s *Service) stripeUnavailable(ctx context.Context, what string, err error) error {
	s.logger.ErrorContext(ctx, "stripe call failed", "call", what, "error", err)
	e := hpa.Errorf(hpa.EUNAVAILABLE, "the payment provider did not answer; try again shortly").WithReason(ReasonStripeUnavailable)
	e.RetryAfterSeconds = 5
	return e
}

// London is the UK time zone: months, years and receipts are UK dates.
var London = giftaid.London
