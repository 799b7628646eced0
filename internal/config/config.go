package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environments the service knows. Production refuses development defaults
// for secrets.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is everything the service reads from its environment.
type Config struct {
	Env           string
	DatabaseURL   Secret
	DBMaxConns    int32
	HTTPAddr      string
	PublicBaseURL *url.URL
	CORSOrigins   []string
	// TrustedProxies are the networks whose X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix
	// RateLimit is the number of requests one client IP may make per RateWindow.
	RateLimit       int
	RateWindow      time.Duration
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogFormat       string
	// MetricsToken, when set, must be sent as a bearer token to read /metrics.
	MetricsToken Secret
	// ContactEmail is the public contact address a fresh install is seeded with.
	ContactEmail string

	// JWTKeys sign and verify tokens; the first signs. In development a
	// random key is made when none is configured (JWTKeysGenerated).
	JWTKeys          []JWTKey
	JWTKeysGenerated bool
	AccessTokenTTL   time.Duration
	RefreshTokenTTL  time.Duration
	// LoginRateLimit is login attempts per client address per minute.
	LoginRateLimit int

	// Mail: "log" prints emails' subjects (development), "smtp" sends.
	MailTransport string
	MailFrom      string
	SMTPHost      string
	SMTPPort      int
	SMTPUsername  string
	SMTPPassword  Secret
	SMTPTLS       string
	SMTPTimeout   time.Duration

	// SiteURL is the public website (the frontend), for links in emails.
	SiteURL *url.URL
	// EncryptionKeys seal special-category fields (AES-256; the first
	// seals); HashKey keys the hashes used to look up sealed emails. Both
	// are random per process in development (KeysGenerated).
	EncryptionKeys []NamedKey
	HashKey        Secret
	KeysGenerated  bool
	// Membership.
	MemberTokenTTL      time.Duration // member self-service token lifetime
	PendingMemberTTL    time.Duration // unconfirmed signups are purged after this
	SignupEmailInterval time.Duration // at most one signup email per address per interval
	SignupRateLimit     int           // signups per client address per hour

	// Donations through Stripe. StripeAPIURL points tests at stripe-mock.
	StripeSecretKey        Secret
	StripeAPIURL           string
	StripeWebhookSecrets   []Secret
	StripeWebhookTolerance time.Duration
	// DonationMinPence and DonationMaxPence bound one gift; presets are the
	// amounts the donate page offers.
	DonationMinPence    int64
	DonationMaxPence    int64
	DonationPresets     []int64
	GiftAidAggregateMax int64
	// Enquiries ("get in touch"): who is told about new ones, how long
	// they are kept (the hourly retention job deletes older ones), how
	// many one client address may send per hour, and how long after
	// opening the form it may be sent.
	EnquiryNotify      []string
	EnquiryRetention   time.Duration
	EnquiryRateLimit   int
	EnquiryMinFillTime time.Duration

	// Visits configures visit statistics (internal/visits).
	Visits Visits
}

// Visits configures the collection and rollup of visit statistics.
type Visits struct {
	// Hostnames are the sites whose page views are counted ("*.example.org"
	// matches subdomains). By default, the hosts of CORSOrigins.
	Hostnames []string
	// TimeZone is the site's zone: days, months and salts follow it.
	TimeZone *time.Location
	// HonourDNT drops events from browsers sending DNT: 1 or Sec-GPC: 1.
	HonourDNT bool
	// BufferSize bounds the events accepted but not yet written.
	BufferSize int
	// FlushInterval is the longest an accepted event waits to be written.
	FlushInterval time.Duration
	// BatchSize is the most events written in one COPY.
	BatchSize int
	// VisitorRateLimit is the most events one visitor may send a minute;
	// beyond it the visitor is treated as a bot.
	VisitorRateLimit int
	// RawRetentionDays is how long raw events are kept; rollups are kept.
	RawRetentionDays int
	// RollupInterval is how often rollups catch up with new events.
	RollupInterval time.Duration
	// CountryHeader, when set, names a header a trusted proxy sets to the
	// client's ISO country code (such as CF-IPCountry).
	CountryHeader string
	// Baseline, when set, replaces the seed text's historic visit total
	// when the counter is first seeded (-1 when unset).
	Baseline int64
}

// JWTKey is one HMAC signing key and its kid.
type JWTKey = NamedKey

// NamedKey is a secret key and the ID that names it for rotation.
type NamedKey struct {
	ID     string
	Secret Secret
}

// Load reads the configuration through getenv (os.Getenv in production, a map
// in tests). It reports every problem at once, each naming its variable.
func Load(getenv func(string) string) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		Env:             r.oneOf("HPA_ENV", EnvDevelopment, EnvDevelopment, EnvProduction),
		DatabaseURL:     r.databaseURL("HPA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hpa?sslmode=disable"),
		DBMaxConns:      int32(r.intRange("HPA_DB_MAX_CONNS", 20, 1, 1000)),
		HTTPAddr:        r.hostPort("HPA_HTTP_ADDR", "127.0.0.1:8080"),
		PublicBaseURL:   r.httpURL("HPA_PUBLIC_BASE_URL", "http://localhost:8080"),
		CORSOrigins:     r.origins("HPA_CORS_ORIGINS", "http://localhost:3000,http://localhost:5173"),
		TrustedProxies:  r.prefixes("HPA_TRUSTED_PROXIES", ""),
		RateLimit:       r.intRange("HPA_RATE_LIMIT", 300, 1, 10_000_000),
		RateWindow:      r.duration("HPA_RATE_WINDOW", time.Minute),
		ShutdownTimeout: r.duration("HPA_SHUTDOWN_TIMEOUT", 20*time.Second),
		LogLevel:        r.logLevel("HPA_LOG_LEVEL", slog.LevelInfo),
		LogFormat:       r.oneOf("HPA_LOG_FORMAT", "json", "json", "text"),
		MetricsToken:    r.secret("HPA_METRICS_TOKEN", ""),
		ContactEmail:    r.email("HPA_CONTACT_EMAIL", ""),
		AccessTokenTTL:  r.duration("HPA_ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL: r.duration("HPA_REFRESH_TOKEN_TTL", 30*24*time.Hour),
		LoginRateLimit:  r.intRange("HPA_LOGIN_RATE_LIMIT", 10, 1, 100000),
		MailTransport:   r.oneOf("HPA_MAIL_TRANSPORT", "log", "log", "smtp"),
		MailFrom:        r.get("HPA_MAIL_FROM", "Harmed Patients Alliance <no-reply@localhost>"),
		SMTPHost:        r.get("HPA_SMTP_HOST", "127.0.0.1"),
		SMTPPort:        r.intRange("HPA_SMTP_PORT", 25, 1, 65535),
		SMTPUsername:    r.get("HPA_SMTP_USERNAME", ""),
		SMTPPassword:    r.secret("HPA_SMTP_PASSWORD", ""),
		SMTPTLS:         r.oneOf("HPA_SMTP_TLS", "none", "none", "starttls", "tls"),
		SMTPTimeout:     r.duration("HPA_SMTP_TIMEOUT", 10*time.Second),

		EnquiryRetention:   r.duration("HPA_ENQUIRY_RETENTION", 365*24*time.Hour),
		EnquiryRateLimit:   r.intRange("HPA_ENQUIRY_RATE_LIMIT", 5, 1, 100000),
		EnquiryMinFillTime: r.durationOrZero("HPA_ENQUIRY_MIN_FILL_TIME", 3*time.Second),
	}
	c.EnquiryNotify = r.emails("HPA_ENQUIRY_NOTIFY", c.ContactEmail)
	c.Visits = r.visits(c.CORSOrigins)
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		r.fail("HPA_MAIL_FROM", "must be an address such as \"HPA <hello@example.org>\", got %q", c.MailFrom)
	}
	if c.Env == EnvProduction && c.MailTransport != "smtp" {
		r.fail("HPA_MAIL_TRANSPORT", "must be smtp in production (log sends nothing)")
	}
	c.JWTKeys = r.namedKeys("HPA_JWT_KEYS", 32, 0)
	if len(c.JWTKeys) == 0 {
		if c.Env == EnvProduction {
			r.fail("HPA_JWT_KEYS", "is required in production (kid:base64url-secret, secrets of at least 32 bytes)")
		} else {
			c.JWTKeys = []JWTKey{{ID: "dev-" + randomHex(4), Secret: Secret(randomBytes(32))}}
			c.JWTKeysGenerated = true
		}
	}
	c.SiteURL = r.httpURL("HPA_SITE_URL", "http://localhost:3000")
	c.StripeSecretKey = r.secret("HPA_STRIPE_SECRET_KEY", "")
	c.StripeAPIURL = r.httpURL("HPA_STRIPE_API_URL", "https://api.stripe.com").String()
	c.StripeWebhookSecrets = r.secretList("HPA_STRIPE_WEBHOOK_SECRETS")
	c.StripeWebhookTolerance = r.duration("HPA_STRIPE_WEBHOOK_TOLERANCE", 5*time.Minute)
	c.DonationMinPence = int64(r.intRange("HPA_DONATION_MIN_PENCE", 100, 30, 100_000_000))
	c.DonationMaxPence = int64(r.intRange("HPA_DONATION_MAX_PENCE", 1_000_000, 30, 100_000_000))
	c.DonationPresets = r.pence("HPA_DONATION_PRESETS", "500,1000,2500,5000")
	c.GiftAidAggregateMax = int64(r.intRange("HPA_GIFT_AID_AGGREGATE_MAX_PENCE", 2000, 0, 100_000))
	if c.DonationMinPence > c.DonationMaxPence {
		r.fail("HPA_DONATION_MIN_PENCE", "must not exceed HPA_DONATION_MAX_PENCE")
	}
	for _, p := range c.DonationPresets {
		if p < c.DonationMinPence || p > c.DonationMaxPence {
			r.fail("HPA_DONATION_PRESETS", "amounts must lie between HPA_DONATION_MIN_PENCE and HPA_DONATION_MAX_PENCE, got %d", p)
		}
	}
	if c.Env == EnvProduction {
		if !c.StripeSecretKey.IsSet() {
			r.fail("HPA_STRIPE_SECRET_KEY", "is required in production")
		}
		if len(c.StripeWebhookSecrets) == 0 {
			r.fail("HPA_STRIPE_WEBHOOK_SECRETS", "is required in production (the endpoint's whsec_ signing secret)")
		}
	}
	c.EncryptionKeys = r.namedKeys("HPA_ENCRYPTION_KEYS", 32, 32)
	c.HashKey = r.base64Secret("HPA_HASH_KEY", 32)
	c.MemberTokenTTL = r.duration("HPA_MEMBER_TOKEN_TTL", time.Hour)
	c.PendingMemberTTL = r.duration("HPA_PENDING_MEMBER_TTL", 7*24*time.Hour)
	c.SignupEmailInterval = r.duration("HPA_SIGNUP_EMAIL_INTERVAL", time.Hour)
	c.SignupRateLimit = r.intRange("HPA_SIGNUP_RATE_LIMIT", 20, 1, 10_000_000)
	if len(c.EncryptionKeys) == 0 || !c.HashKey.IsSet() {
		if c.Env == EnvProduction {
			r.fail("HPA_ENCRYPTION_KEYS", "and HPA_HASH_KEY are required in production: they protect members' data; losing them loses the data")
		} else {
			if len(c.EncryptionKeys) == 0 {
				c.EncryptionKeys = []NamedKey{{ID: "dev-" + randomHex(4), Secret: Secret(randomBytes(32))}}
			}
			if !c.HashKey.IsSet() {
				c.HashKey = Secret(randomBytes(32))
			}
			c.KeysGenerated = true
		}
	}
	if c.Env == EnvProduction && c.PublicBaseURL != nil && c.PublicBaseURL.Scheme != "https" {
		r.fail("HPA_PUBLIC_BASE_URL", "must use https in production")
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(r.errs...))
	}
	return c, nil
}

// reader collects errors so one run reports every bad variable.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) get(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.get(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

func (r *reader) intRange(name string, def, lo, hi int) int {
	raw := r.get(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		r.fail(name, "must be an integer from %d to %d, got %q", lo, hi, raw)
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	raw := r.get(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 30s or 5m, got %q", raw)
		return def
	}
	return d
}

// durationOrZero is duration that also accepts 0 (to switch a wait off).
func (r *reader) durationOrZero(name string, def time.Duration) time.Duration {
	if raw := r.get(name, ""); raw == "0" || raw == "0s" {
		return 0
	}
	return r.duration(name, def)
}

func (r *reader) hostPort(name, def string) string {
	v := r.get(name, def)
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		r.fail(name, "must be host:port (for example 127.0.0.1:8080 or :8080), got %q", v)
		return def
	}
	return v
}

func (r *reader) httpURL(name, def string) *url.URL {
	v := r.get(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "must be an absolute http(s) URL, got %q", v)
		u, _ = url.Parse(def)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u
}

func (r *reader) origins(name, def string) []string {
	var out []string
	for _, o := range splitList(r.get(name, def)) {
		if o == "*" {
			r.fail(name, "must list origins explicitly; * is not allowed")
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			r.fail(name, "entry %q is not an origin such as https://example.org", o)
			continue
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}

func (r *reader) prefixes(name, def string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range splitList(r.get(name, def)) {
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			r.fail(name, "entry %q is not an IP address or CIDR", p)
			continue
		}
		out = append(out, pfx.Masked())
	}
	return out
}

func (r *reader) logLevel(name string, def slog.Level) slog.Level {
	raw := r.get(name, "")
	if raw == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(raw)); err != nil {
		r.fail(name, "must be debug, info, warn or error, got %q", raw)
		return def
	}
	return l
}

func (r *reader) email(name, def string) string {
	v := r.get(name, def)
	if v == "" {
		return ""
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		r.fail(name, "must be a bare email address such as hello@example.org, got %q", v)
		return ""
	}
	return v
}

// emails reads a comma-separated list of bare addresses.
func (r *reader) emails(name, def string) []string {
	var out []string
	for _, v := range splitList(r.get(name, def)) {
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			r.fail(name, "entry %q is not a bare email address such as hello@example.org", v)
			continue
		}
		out = append(out, v)
	}
	return out
}

func (r *reader) secret(name, def string) Secret {
	return Secret(r.get(name, def))
}

func (r *reader) databaseURL(name, def string) Secret {
	v := r.get(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The value may hold a password: name the variable, never echo it.
		r.fail(name, "must be a postgres:// URL")
	}
	return Secret(v)
}

// secretList parses a comma-separated list of secrets.
func (r *reader) secretList(name string) []Secret {
	var out []Secret
	for _, v := range splitList(r.get(name, "")) {
		out = append(out, Secret(v))
	}
	return out
}

// pence parses a comma-separated list of positive whole pence.
func (r *reader) pence(name, def string) []int64 {
	var out []int64
	for _, v := range splitList(r.get(name, def)) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			r.fail(name, "must list whole numbers of pence such as 500,1000, got %q", v)
			continue
		}
		out = append(out, n)
	}
	return out
}

// namedKeys parses "kid:secret,kid2:secret2" with base64url (or standard
// base64) secrets of at least minLen bytes (exactly maxLen if non-zero).
func (r *reader) namedKeys(name string, minLen, maxLen int) []NamedKey {
	var out []NamedKey
	seen := map[string]bool{}
	for _, entry := range splitList(r.get(name, "")) {
		kid, encoded, ok := strings.Cut(entry, ":")
		if !ok || kid == "" || seen[kid] {
			r.fail(name, "entries must be kid:secret with distinct kids")
			continue
		}
		secret, ok := decodeBase64(encoded)
		if !ok || len(secret) < minLen || (maxLen > 0 && len(secret) > maxLen) {
			r.fail(name, "key %q must be base64 of %s random bytes (openssl rand -base64 32)", kid, sizeRule(minLen, maxLen))
			continue
		}
		seen[kid] = true
		out = append(out, NamedKey{ID: kid, Secret: Secret(secret)})
	}
	return out
}

// base64Secret reads one base64 secret of at least minLen bytes.
func (r *reader) base64Secret(name string, minLen int) Secret {
	raw := r.get(name, "")
	if raw == "" {
		return ""
	}
	secret, ok := decodeBase64(raw)
	if !ok || len(secret) < minLen {
		r.fail(name, "must be base64 of at least %d random bytes (openssl rand -base64 32)", minLen)
		return ""
	}
	return Secret(secret)
}

func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

func sizeRule(minLen, maxLen int) string {
	if maxLen == minLen {
		return fmt.Sprintf("exactly %d", minLen)
	}
	return fmt.Sprintf("at least %d", minLen)
}

func randomBytes(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return string(b)
}

func randomHex(n int) string { return hex.EncodeToString([]byte(randomBytes(n))) }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
