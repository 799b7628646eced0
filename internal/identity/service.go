package identity

import (
	"context"
	"crypto/sha256"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/cache"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// NotifyChannel announces changes to staff and API keys (see migrations).
const NotifyChannel = "hpa_identity_changed"

// Settings are identity's tunables.
type Settings struct {
	AccessTTL  time.Duration // staff access tokens (15 minutes)
	RefreshTTL time.Duration // refresh tokens (30 days)
	InviteTTL  time.Duration // staff invitations (7 days)
	// SlowAfter failed sign-ins in a row for one email address slow every
	// further attempt for it, right password or wrong, by SlowDelay,
	// doubling per failure up to MaxSlowDelay. Nothing is ever locked. A
	// burst of failures ends with a success or after FailureMemory without
	// failures.
	SlowAfter     int
	SlowDelay     time.Duration
	MaxSlowDelay  time.Duration
	FailureMemory time.Duration
	// KeyPrefix starts every API key: hpa_live_ in production, hpa_test_
	// elsewhere, so a leaked key's environment is obvious.
	KeyPrefix string
}

// DefaultSettings are the production defaults.
var DefaultSettings = Settings{AccessTTL: 15 * time.Minute, RefreshTTL: 30 * 24 * time.Hour, InviteTTL: 7 * 24 * time.Hour,
	SlowAfter: 5, SlowDelay: time.Second, MaxSlowDelay: 10 * time.Second, FailureMemory: time.Hour, KeyPrefix: "hpa_live_"}

// Service manages staff, sessions, organisations and API keys.
type Service struct {
	db       store.DB
	tokens   *Tokens
	hasher   *Hasher
	emails   KeyedHasher
	settings Settings
	now      func() time.Time
	staff    *cache.Cache[*staffEntry]
	keys     *cache.Cache[*keyEntry]
	origins  *cache.Cache[map[string]bool]
	touched  sync.Map // API key ID → when this process last recorded its use

	outbox  enqueuer // nil: nothing is emailed
	siteURL string
}

// KeyedHasher computes keyed hashes (sealed.Hasher is one): failed
// sign-ins are counted per email address without storing the address.
type KeyedHasher interface {
	Hash(domain, value string) []byte
}

// Deps are what identity uses besides the database.
type Deps struct {
	// Tokens signs and checks staff access tokens.
	Tokens *Tokens
	// Passwords hashes and checks staff passwords.
	Passwords *Hasher
	// Emails keys the hashes of email addresses that failed to sign in.
	Emails KeyedHasher
	// Live reports whether identity change notifications are arriving
	// (see database.Listener); nil never caches.
	Live func() bool
}

// NewService returns a Service; subscribe Cache() to NotifyChannel.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	return &Service{
		db: db, tokens: deps.Tokens, hasher: deps.Passwords, emails: deps.Emails, settings: settings, now: now,
		staff:   cache.New[*staffEntry](10_000, deps.Live),
		keys:    cache.New[*keyEntry](10_000, deps.Live),
		origins: cache.New[map[string]bool](1, deps.Live),
	}
}

// Cache is what must hear about identity changes.
func (s *Service) Cache() interface {
	Notify(string)
	Reset()
} {
	return cacheGroup{s.staff, s.keys, s.origins}
}

type cacheGroup []interface {
	Notify(string)
	Reset()
}

func (g cacheGroup) Notify(p string) {
	for _, c := range g {
		c.Notify(p)
	}
}

func (g cacheGroup) Reset() {
	for _, c := range g {
		c.Reset()
	}
}

// Tokens returns the token issuer, shared with member self-service.
func (s *Service) Tokens() *Tokens { return s.tokens }

// NormaliseEmail lower-cases and validates an address (RFC 5322 syntax, a
// bare address without a display name).
func NormaliseEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return "", hpa.Invalid("body.email", "must be a valid email address")
	}
	return email, nil
}

// hashSecret hashes a high-entropy secret (token or key). These are random
// 256-bit values, so a fast hash is enough; passwords use argon2id.
func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func (s *Service) withTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return store.WithTx(ctx, s.db, fn)
}
