package config

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fixed random keys, so the production fixture is a config a careful
// operator would write.
const (
	jwtKey     = "hGuTd/Edk9pNdR9t8kHKPOJUhOl9ip5BEk4fRQwhEBs="
	sealKey    = "OCGrRjb6WgfawCSvwSajbzppUaDNQR29AOOsB33s61M="
	hashKey    = "0wgPeDZBijYmI12Md6vvLz52ddzGTmG0DwNLiZnmURg="
	metricsKey = "a+EUINgRitoHuelOA5MM6OzlCI3NdG09kBSpx66L34E="
)

func goodProduction() map[string]string {
	return map[string]string{
		"HPA_ENV":                    "production",
		"HPA_PUBLIC_BASE_URL":        "https://api.example.org",
		"HPA_SITE_URL":               "https://www.example.org",
		"HPA_CORS_ORIGINS":           "https://www.example.org,https://staff.example.org",
		"HPA_JWT_KEYS":               "k1:" + jwtKey,
		"HPA_ENCRYPTION_KEYS":        "e1:" + sealKey,
		"HPA_HASH_KEY":               hashKey,
		"HPA_METRICS_TOKEN":          metricsKey,
		"HPA_MAIL_TRANSPORT":         "smtp",
		"HPA_SMTP_HOST":              "smtp.example.org",
		"HPA_SMTP_PORT":              "587",
		"HPA_SMTP_USERNAME":          "hpa",
		"HPA_SMTP_PASSWORD":          "a3957f6d7f54854d0cd53862cc1b6dff818d230f",
		"HPA_SMTP_TLS":               "starttls",
		"HPA_STRIPE_SECRET_KEY":      "sk_live_51Hx7qLKzR2m4Vb8NcT0pYwE3fGhJkLmNoPqRsTuVwXyZ",
		"HPA_STRIPE_WEBHOOK_SECRETS": "whsec_Q3p9LxV2mR8tYb6NcK4wZ1hJ7fD5sA0g",
	}
}

func with(base map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(base)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestAGoodProductionConfigLoads(t *testing.T) {
	c, err := Load(env(goodProduction()))
	if err != nil {
		t.Fatalf("a careful production config was refused: %v", err)
	}
	if c.DevKeysFile != "" {
		t.Errorf("production used development keys from %s", c.DevKeysFile)
	}
	if _, err := Load(env(with(goodProduction(), map[string]string{"HPA_STRIPE_SECRET_KEY": "sk_test_51Hx7qLKzR2m4Vb8NcT0pYwE3fGhJ", "HPA_STRIPE_ALLOW_TEST_MODE": "true"}))); err != nil {
		t.Errorf("test-mode Stripe key explicitly allowed: %v", err)
	}
}

// Each unsafe production setting is refused, naming the variable and
// saying what to do.
func TestProductionRefusesUnsafeSettings(t *testing.T) {
	zeros := "k1:" + b64(make([]byte, 32))
	for name, c := range map[string]struct {
		changes      map[string]string
		variable, do string
	}{
		"all-zero JWT key":              {map[string]string{"HPA_JWT_KEYS": zeros}, "HPA_JWT_KEYS", "openssl rand -base64 32"},
		"all-zero encryption key":       {map[string]string{"HPA_ENCRYPTION_KEYS": "e1:" + b64(make([]byte, 32))}, "HPA_ENCRYPTION_KEYS", "openssl rand -base64 32"},
		"hash key of one repeated byte": {map[string]string{"HPA_HASH_KEY": b64([]byte(strings.Repeat("k", 40)))}, "HPA_HASH_KEY", "openssl rand -base64 32"},
		"key of few distinct bytes":     {map[string]string{"HPA_JWT_KEYS": "k1:" + b64([]byte(strings.Repeat("0123456789", 4)))}, "HPA_JWT_KEYS", "distinct"},
		"key that is text":              {map[string]string{"HPA_HASH_KEY": b64([]byte("Harmed Patients Alliance production hash key 2026"))}, "HPA_HASH_KEY", "text"},
		"key too short":                 {map[string]string{"HPA_JWT_KEYS": "k1:" + b64([]byte("0123456789abcdefghij"))}, "HPA_JWT_KEYS", "openssl rand -base64 32"},
		"JWT key reused as hash key":    {map[string]string{"HPA_HASH_KEY": jwtKey}, "HPA_HASH_KEY", "its own"},
		"encryption key reused for JWT": {map[string]string{"HPA_JWT_KEYS": "k1:" + jwtKey + ",k0:" + sealKey}, "HPA_JWT_KEYS", "its own"},
		"metrics token reusing a key":   {map[string]string{"HPA_METRICS_TOKEN": hashKey}, "HPA_METRICS_TOKEN", "its own"},
		"test-mode Stripe key":          {map[string]string{"HPA_STRIPE_SECRET_KEY": "sk_test_51Hx7qLKzR2m4Vb8NcT0pYwE3fGhJ"}, "HPA_STRIPE_SECRET_KEY", "HPA_STRIPE_ALLOW_TEST_MODE=true"},
		"not a Stripe secret key":       {map[string]string{"HPA_STRIPE_SECRET_KEY": "pk_live_51Hx7qLKzR2m4Vb8NcT0pYwE3fGhJ"}, "HPA_STRIPE_SECRET_KEY", "sk_live_"},
		"webhook secret x":              {map[string]string{"HPA_STRIPE_WEBHOOK_SECRETS": "x"}, "HPA_STRIPE_WEBHOOK_SECRETS", "whsec_"},
		"webhook secret too short":      {map[string]string{"HPA_STRIPE_WEBHOOK_SECRETS": "whsec_Q3p9LxV2mR8tYb6NcK4wZ1hJ7fD5sA0g,whsec_dev"}, "HPA_STRIPE_WEBHOOK_SECRETS", "Stripe dashboard"},
		"SMTP login in cleartext":       {map[string]string{"HPA_SMTP_TLS": "none"}, "HPA_SMTP_TLS", "starttls"},
		"http public URL":               {map[string]string{"HPA_PUBLIC_BASE_URL": "http://api.example.org"}, "HPA_PUBLIC_BASE_URL", "https"},
		"http site URL":                 {map[string]string{"HPA_SITE_URL": "http://www.example.org"}, "HPA_SITE_URL", "https"},
		"http CORS origin":              {map[string]string{"HPA_CORS_ORIGINS": "https://www.example.org,http://staff.example.org"}, "HPA_CORS_ORIGINS", "https"},
		"no metrics token":              {map[string]string{"HPA_METRICS_TOKEN": ""}, "HPA_METRICS_TOKEN", "openssl rand -base64 32"},
		"short metrics token":           {map[string]string{"HPA_METRICS_TOKEN": "letmein"}, "HPA_METRICS_TOKEN", "32"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(with(goodProduction(), c.changes)))
			if err == nil {
				t.Fatal("production accepted it")
			}
			for _, want := range []string{c.variable, c.do} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal does not say %q:\n%v", want, err)
				}
			}
			for _, v := range c.changes {
				if len(v) > 12 && strings.Contains(err.Error(), v) {
					t.Errorf("refusal echoes the secret:\n%v", err)
				}
			}
		})
	}
}

// The example: every unsafe choice at once is reported at once,
// so the operator fixes them in one go rather than one per start.
func TestProductionReportsEveryRefusalTogether(t *testing.T) {
	zeros := b64(make([]byte, 32))
	_, err := Load(env(map[string]string{
		"HPA_ENV": "production", "HPA_JWT_KEYS": "k1:" + zeros, "HPA_ENCRYPTION_KEYS": "e1:" + zeros, "HPA_HASH_KEY": zeros,
		"HPA_STRIPE_SECRET_KEY": "sk_test_123", "HPA_STRIPE_WEBHOOK_SECRETS": "x", "HPA_MAIL_TRANSPORT": "smtp",
		"HPA_SMTP_USERNAME": "hpa", "HPA_SMTP_PASSWORD": "secret", "HPA_SMTP_TLS": "none",
		"HPA_PUBLIC_BASE_URL": "http://api.example.org", "HPA_SITE_URL": "http://www.example.org", "HPA_CORS_ORIGINS": "http://www.example.org",
	}))
	if err == nil {
		t.Fatal("production accepted it")
	}
	for _, name := range []string{"HPA_JWT_KEYS", "HPA_ENCRYPTION_KEYS", "HPA_HASH_KEY", "HPA_STRIPE_SECRET_KEY", "HPA_STRIPE_WEBHOOK_SECRETS",
		"HPA_SMTP_TLS", "HPA_PUBLIC_BASE_URL", "HPA_SITE_URL", "HPA_CORS_ORIGINS", "HPA_METRICS_TOKEN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("not reported: %s", name)
		}
	}
	t.Logf("%v", err)
}

// In development, keys are made once and kept in a file, so tokens and
// sealed member data survive a restart.
func TestDevelopmentKeysPersistAcrossLoads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "nested", "dev-keys.env")
	vars := map[string]string{"HPA_DEV_KEYS_FILE": file}
	first, err := Load(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if first.DevKeysFile != file || !first.DevKeysCreated || second.DevKeysCreated {
		t.Errorf("first load: file %q created %v; second: created %v", first.DevKeysFile, first.DevKeysCreated, second.DevKeysCreated)
	}
	same := func(a, b []NamedKey) bool {
		return len(a) == 1 && len(b) == 1 && a[0].ID == b[0].ID && a[0].Secret == b[0].Secret
	}
	if !same(first.JWTKeys, second.JWTKeys) || !same(first.EncryptionKeys, second.EncryptionKeys) || first.HashKey != second.HashKey {
		t.Error("the second load made new keys")
	}
	if len(first.HashKey.Reveal()) != 32 || len(first.EncryptionKeys[0].Secret.Reveal()) != 32 || len(first.JWTKeys[0].Secret.Reveal()) != 32 {
		t.Error("development keys are not 32 bytes")
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("keys file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	// A key set in the environment wins over the file.
	c, err := Load(env(with(vars, map[string]string{"HPA_HASH_KEY": hashKey})))
	if err != nil || c.HashKey == first.HashKey || !same(c.JWTKeys, first.JWTKeys) {
		t.Errorf("environment over file: %v", err)
	}
	// Production never reads or writes it.
	prodFile := filepath.Join(t.TempDir(), "dev-keys.env")
	if _, err := Load(env(with(goodProduction(), map[string]string{"HPA_DEV_KEYS_FILE": prodFile}))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(prodFile); !os.IsNotExist(err) {
		t.Errorf("production wrote development keys: %v", err)
	}
}
