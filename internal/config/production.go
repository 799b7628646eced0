package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// Production refuses to start with settings that would quietly make it
// unsafe; each refusal names the variable and what to do, and Load
// reports them all at once. docs/security.md ("What production refuses")
// lists them.

const (
	// minMetricsToken is the shortest accepted /metrics bearer token.
	minMetricsToken = 32
	// minWebhookSecret is the fewest characters after whsec_; Stripe's
	// are 32 or more.
	minWebhookSecret = 24
	// minDistinctBytes: 32 random bytes have about 30 distinct values;
	// fewer than 16 happens by chance far less than once in 2^64.
	minDistinctBytes = 16
)

const newKeyAdvice = "generate one with: openssl rand -base64 32"

// refuseUnsafeProduction records every unsafe production setting.
func (r *reader) refuseUnsafeProduction(c *Config, allowStripeTestMode bool) {
	for _, k := range c.JWTKeys {
		r.randomKey("HPA_JWT_KEYS", fmt.Sprintf("key %q ", k.ID), k.Secret)
	}
	for _, k := range c.EncryptionKeys {
		r.randomKey("HPA_ENCRYPTION_KEYS", fmt.Sprintf("key %q ", k.ID), k.Secret)
	}
	if c.HashKey.IsSet() {
		r.randomKey("HPA_HASH_KEY", "", c.HashKey)
	}
	for _, k := range c.RetiredHashKeys {
		r.randomKey("HPA_HASH_KEYS_RETIRED", "", k)
	}
	r.distinctSecrets(c)

	switch key := c.StripeSecretKey.Reveal(); {
	case key == "" || strings.HasPrefix(key, "sk_live_") || strings.HasPrefix(key, "rk_live_"):
	case strings.HasPrefix(key, "sk_test_") || strings.HasPrefix(key, "rk_test_"):
		if !allowStripeTestMode {
			r.fail("HPA_STRIPE_SECRET_KEY", "is a test-mode key, which takes no real money: use the live key (sk_live_… or rk_live_…), "+
				"or set HPA_STRIPE_ALLOW_TEST_MODE=true for a rehearsal")
		}
	default:
		r.fail("HPA_STRIPE_SECRET_KEY", "is not a Stripe secret key: use the live secret key (sk_live_… or a restricted rk_live_…) from the Stripe dashboard")
	}
	for i, s := range c.StripeWebhookSecrets {
		secret, ok := strings.CutPrefix(s.Reveal(), "whsec_")
		switch {
		case !ok:
			r.fail("HPA_STRIPE_WEBHOOK_SECRETS", "entry %d is not a webhook signing secret: copy the endpoint's whsec_… secret from the Stripe dashboard", i+1)
		case len(secret) < minWebhookSecret:
			r.fail("HPA_STRIPE_WEBHOOK_SECRETS", "entry %d is too short to be Stripe's (%d characters after whsec_): copy the endpoint's whole signing secret from the Stripe dashboard", i+1, len(secret))
		}
	}

	if (c.SMTPUsername != "" || c.SMTPPassword.IsSet()) && c.SMTPTLS == "none" {
		r.fail("HPA_SMTP_TLS", "is none while HPA_SMTP_USERNAME or HPA_SMTP_PASSWORD is set, so the password would cross the network readable: "+
			"set starttls (port 587) or tls (port 465)")
	}

	for _, u := range []struct {
		name string
		url  *url.URL
	}{{"HPA_PUBLIC_BASE_URL", c.PublicBaseURL}, {"HPA_SITE_URL", c.SiteURL}} {
		if u.url != nil && u.url.Scheme != "https" {
			r.fail(u.name, "must use https in production: tokens, sign-in links and personal data travel through it")
		}
	}
	for _, o := range c.CORSOrigins {
		if !strings.HasPrefix(o, "https://") {
			r.fail("HPA_CORS_ORIGINS", "origin %s must use https in production: a page served over http can be altered on the way to call the API", o)
		}
	}

	switch token := c.MetricsToken.Reveal(); {
	case token == "":
		r.fail("HPA_METRICS_TOKEN", "is required in production, or anyone can read /metrics: set a random token of at least %d characters "+
			"(%s) and give it to the scraper", minMetricsToken, newKeyAdvice)
	case len(token) < minMetricsToken:
		r.fail("HPA_METRICS_TOKEN", "is too short (%d characters): use at least %d (%s)", len(token), minMetricsToken, newKeyAdvice)
	}
}

// randomKey refuses a key that cannot have come from a random generator.
// Keys shorter than 32 bytes were already refused while parsing.
func (r *reader) randomKey(name, which string, key Secret) {
	b := []byte(key.Reveal())
	var seen [256]bool
	distinct, printable := 0, true
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		printable = printable && c >= 0x20 && c < 0x7f
	}
	switch {
	case distinct == 1:
		r.fail(name, "%sis one byte repeated, not a random key: %s", which, newKeyAdvice)
	case distinct < minDistinctBytes:
		r.fail(name, "%shas only %d distinct bytes, not a random key: %s", which, distinct, newKeyAdvice)
	case printable:
		r.fail(name, "%sdecodes to text, not random bytes (a passphrase is not a key): %s", which, newKeyAdvice)
	}
}

// secretUse is one secret and the forms it could be pasted in elsewhere.
type secretUse struct {
	name  string
	forms [][]byte
}

// distinctSecrets refuses a secret used for two purposes: one leak would
// then expose both, and a key must never double as another's.
func (r *reader) distinctSecrets(c *Config) {
	var uses []secretUse
	key := func(name string, s Secret) {
		b := []byte(s.Reveal())
		forms := [][]byte{b}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			forms = append(forms, []byte(enc.EncodeToString(b)))
		}
		uses = append(uses, secretUse{name, forms})
	}
	text := func(name string, s Secret) {
		if s.IsSet() {
			forms := [][]byte{[]byte(s.Reveal())}
			if b, ok := decodeBase64(s.Reveal()); ok && len(b) > 0 {
				forms = append(forms, b)
			}
			uses = append(uses, secretUse{name, forms})
		}
	}
	for _, k := range c.JWTKeys {
		key("HPA_JWT_KEYS", k.Secret)
	}
	for _, k := range c.EncryptionKeys {
		key("HPA_ENCRYPTION_KEYS", k.Secret)
	}
	if c.HashKey.IsSet() {
		key("HPA_HASH_KEY", c.HashKey)
	}
	for _, k := range c.RetiredHashKeys {
		key("HPA_HASH_KEYS_RETIRED", k)
	}
	text("HPA_METRICS_TOKEN", c.MetricsToken)
	text("HPA_STRIPE_SECRET_KEY", c.StripeSecretKey)
	for _, s := range c.StripeWebhookSecrets {
		text("HPA_STRIPE_WEBHOOK_SECRETS", s)
	}
	text("HPA_SMTP_PASSWORD", c.SMTPPassword)
	if u, err := url.Parse(c.DatabaseURL.Reveal()); err == nil {
		if p, ok := u.User.Password(); ok {
			text("HPA_DATABASE_URL", Secret(p))
		}
	}
	reported := map[[2]string]bool{}
	for i, a := range uses {
		for _, b := range uses[i+1:] {
			pair := [2]string{a.name, b.name}
			if a.name == b.name || reported[pair] || !shareAForm(a, b) {
				continue
			}
			reported[pair] = true
			r.fail(b.name, "reuses a secret of %s: give each purpose its own (%s), so that one leaking does not expose the other", a.name, newKeyAdvice)
		}
	}
}

func shareAForm(a, b secretUse) bool {
	for _, x := range a.forms {
		for _, y := range b.forms {
			if bytes.Equal(x, y) {
				return true
			}
		}
	}
	return false
}
