package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"time"

	"github.com/harmedpatients/hpa/internal/visits"
)

// Environments the service knows. Production refuses development defaults
// for secrets.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is everything the service reads from its environment.
type Config struct {
	Env         string
	DatabaseURL Secret
	// DatabaseReadURL, when set, is a read replica for the heavy reads
	// (statistics, exports).
	DatabaseReadURL Secret
	DBMaxConns      int32
	// DBWorkerConns bounds the background workers' own pool (River jobs,
	// signups, email, webhook deliveries), so they never take the
	// connections requests need.
	DBWorkerConns int32
	// JobRetention is how long finished (completed or cancelled) jobs are
	// kept before River deletes them.
	JobRetention time.Duration
	// MailWorkers is how many emails are sent at once (River's mail
	// queue), each over an SMTP connection of its own kept between
	// messages: sending mostly waits on the mail server's replies.
	MailWorkers   int
	HTTPAddr      string
	PublicBaseURL *url.URL
	CORSOrigins   []string
	// TrustedProxies are the networks whose X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix
	// RateLimit is the number of requests one client IP may make per RateWindow.
	RateLimit       int
	RateWindow      time.Duration
	ShutdownTimeout time.Duration
	// DrainDelay is how long a stopping instance goes on serving with
	// /readyz failing, so a load balancer takes it out of its pool first.
	DrainDelay time.Duration
	LogLevel   slog.Level
	LogFormat  string
	// AccessLog is "all" (a line per request) or "errors" (only requests
	// answered 4xx or 5xx, or slower than a second; metrics count the rest).
	AccessLog string
	// MetricsToken, when set, must be sent as a bearer token to read /metrics.
	MetricsToken Secret
	// ContactEmail is the public contact address a fresh install is seeded with.
	ContactEmail string

	// JWTKeys sign and verify tokens; the first signs.
	JWTKeys         []JWTKey
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
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
	// seals); HashKey keys the hashes used to look up sealed emails, and
	// RetiredHashKeys are the hash keys it replaced, newest first
	// (docs/operations.md, "Rotating keys").
	EncryptionKeys  []NamedKey
	HashKey         Secret
	RetiredHashKeys []Secret
	// DevKeysFile, in development, is the file that the JWT, encryption
	// and hash keys not set in the environment came from (HPA_DEV_KEYS_FILE,
	// by default .data/dev-keys.env); DevKeysCreated reports that this load
	// made it.
	DevKeysFile    string
	DevKeysCreated bool
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
	DonationMinPence int64
	DonationMaxPence int64
	DonationPresets  []int64
	// GiftAid configures claims to HMRC.
	GiftAid GiftAid
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
	// Webhooks configures outgoing webhooks.
	Webhooks Webhooks
}

// Visits configures visit statistics: the service's own settings, and
// where visitors' countries and the counter's baseline come from.
type Visits struct {
	visits.Settings
	// CountryHeader, when set, names a header a trusted proxy sets to the
	// client's ISO country code (such as CF-IPCountry).
	CountryHeader string
	// GeoIPPath, when set, is a MaxMind-format country database that
	// gives the country of visitors no proxy header names one for.
	GeoIPPath string
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
	environment := r.oneOf("HPA_ENV", EnvDevelopment, EnvDevelopment, EnvProduction)
	var devKeysFile string
	var devKeysCreated bool
	if environment == EnvDevelopment {
		devKeysFile, devKeysCreated = r.useDevKeys()
	}
	c := &Config{
		Env:             environment,
		DevKeysFile:     devKeysFile,
		DevKeysCreated:  devKeysCreated,
		DatabaseURL:     r.databaseURL("HPA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hpa?sslmode=disable"),
		DatabaseReadURL: r.optionalDatabaseURL("HPA_DATABASE_READ_URL"),
		DBMaxConns:      int32(r.intRange("HPA_DB_MAX_CONNS", 20, 1, 1000)),
		DBWorkerConns:   int32(r.intRange("HPA_DB_WORKER_CONNS", 8, 2, 1000)),
		JobRetention:    r.duration("HPA_JOB_RETENTION", time.Hour),
		MailWorkers:     r.intRange("HPA_MAIL_WORKERS", 100, 1, 1000),
		HTTPAddr:        r.hostPort("HPA_HTTP_ADDR", "127.0.0.1:8080"),
		PublicBaseURL:   r.httpURL("HPA_PUBLIC_BASE_URL", "http://localhost:8080"),
		CORSOrigins:     r.origins("HPA_CORS_ORIGINS", "http://localhost:3000,http://localhost:5173"),
		TrustedProxies:  r.prefixes("HPA_TRUSTED_PROXIES", ""),
		RateLimit:       r.intRange("HPA_RATE_LIMIT", 300, 1, 10_000_000),
		RateWindow:      r.duration("HPA_RATE_WINDOW", time.Minute),
		ShutdownTimeout: r.duration("HPA_SHUTDOWN_TIMEOUT", 20*time.Second),
		DrainDelay:      r.durationOrZero("HPA_SHUTDOWN_DRAIN_DELAY", 5*time.Second),
		LogLevel:        r.logLevel("HPA_LOG_LEVEL", slog.LevelInfo),
		LogFormat:       r.oneOf("HPA_LOG_FORMAT", "json", "json", "text"),
		AccessLog:       r.oneOf("HPA_ACCESS_LOG", "errors", "errors", "all"),
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
	c.Webhooks = r.webhooks(c.Env)
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		r.fail("HPA_MAIL_FROM", "must be an address such as \"HPA <hello@example.org>\", got %q", c.MailFrom)
	}
	if c.Env == EnvProduction && c.MailTransport != "smtp" {
		r.fail("HPA_MAIL_TRANSPORT", "must be smtp in production (log sends nothing)")
	}
	c.JWTKeys = r.namedKeys("HPA_JWT_KEYS", 32, 0)
	if len(c.JWTKeys) == 0 && c.Env == EnvProduction {
		r.fail("HPA_JWT_KEYS", "is required in production (kid:base64url-secret, secrets of at least 32 bytes)")
	}
	c.SiteURL = r.httpURL("HPA_SITE_URL", "http://localhost:3000")
	c.StripeSecretKey = r.secret("HPA_STRIPE_SECRET_KEY", "")
	c.StripeAPIURL = r.httpURL("HPA_STRIPE_API_URL", "https://api.stripe.com").String()
	c.StripeWebhookSecrets = r.secretList("HPA_STRIPE_WEBHOOK_SECRETS")
	c.StripeWebhookTolerance = r.duration("HPA_STRIPE_WEBHOOK_TOLERANCE", 5*time.Minute)
	allowStripeTestMode := r.boolean("HPA_STRIPE_ALLOW_TEST_MODE", false)
	c.DonationMinPence = int64(r.intRange("HPA_DONATION_MIN_PENCE", 100, 30, 100_000_000))
	c.DonationMaxPence = int64(r.intRange("HPA_DONATION_MAX_PENCE", 1_000_000, 30, 100_000_000))
	c.DonationPresets = r.pence("HPA_DONATION_PRESETS", "500,1000,2500,5000")
	c.GiftAid = r.giftAid()
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
	c.RetiredHashKeys = r.base64Secrets("HPA_HASH_KEYS_RETIRED", 32)
	if len(c.RetiredHashKeys) > 0 && !c.HashKey.IsSet() {
		r.fail("HPA_HASH_KEYS_RETIRED", "needs HPA_HASH_KEY: the key that replaced them")
	}
	c.MemberTokenTTL = r.duration("HPA_MEMBER_TOKEN_TTL", time.Hour)
	c.PendingMemberTTL = r.duration("HPA_PENDING_MEMBER_TTL", 7*24*time.Hour)
	c.SignupEmailInterval = r.duration("HPA_SIGNUP_EMAIL_INTERVAL", time.Hour)
	c.SignupRateLimit = r.intRange("HPA_SIGNUP_RATE_LIMIT", 20, 1, 10_000_000)
	if (len(c.EncryptionKeys) == 0 || !c.HashKey.IsSet()) && c.Env == EnvProduction {
		r.fail("HPA_ENCRYPTION_KEYS", "and HPA_HASH_KEY are required in production: they protect members' data; losing them loses the data")
	}
	if c.Env == EnvProduction {
		r.refuseUnsafeProduction(c, allowStripeTestMode)
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(r.errs...))
	}
	return c, nil
}
