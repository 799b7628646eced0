package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devKeysDir keeps the development keys the tests' loads make out of the
// repository.
var devKeysDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hpa-config-test-")
	if err != nil {
		panic(err)
	}
	devKeysDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env serves vars as the environment, with development keys in a
// temporary file unless vars name one.
func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if k == "HPA_DEV_KEYS_FILE" && vars[k] == "" {
			return filepath.Join(devKeysDir, "dev-keys.env")
		}
		return vars[k]
	}
}

func TestDefaultsSuitLocalDevelopment(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvDevelopment || c.HTTPAddr != "127.0.0.1:8080" || c.PublicBaseURL.String() != "http://localhost:8080" ||
		c.RateLimit != 300 || c.RateWindow != time.Minute || c.ShutdownTimeout != 20*time.Second || c.LogLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v", c)
	}
	// Workers get a pool of their own; finished jobs (one per email sent)
	// are kept an hour, not a day (finished jobs were most of a member's bytes).
	if c.DBMaxConns != 20 || c.DBWorkerConns != 8 || c.JobRetention != time.Hour {
		t.Errorf("pools %d + %d, job retention %s; want 20 + 8, 1h", c.DBMaxConns, c.DBWorkerConns, c.JobRetention)
	}
	if !strings.HasPrefix(c.DatabaseURL.Reveal(), "postgres://postgres@127.0.0.1:5432/hpa") {
		t.Errorf("database default = %q", c.DatabaseURL.Reveal())
	}
}

func TestEveryBadValueIsReportedByName(t *testing.T) {
	bad := map[string]string{
		"HPA_ENV":                          "staging",
		"HPA_DATABASE_URL":                 "mysql://root:hunter2@db/hpa",
		"HPA_DB_MAX_CONNS":                 "0",
		"HPA_DB_WORKER_CONNS":              "1",
		"HPA_JOB_RETENTION":                "forever",
		"HPA_HTTP_ADDR":                    "8080",
		"HPA_PUBLIC_BASE_URL":              "not a url",
		"HPA_CORS_ORIGINS":                 "https://ok.example, *",
		"HPA_TRUSTED_PROXIES":              "10.0.0.0/8, bogus",
		"HPA_RATE_LIMIT":                   "lots",
		"HPA_RATE_WINDOW":                  "-5s",
		"HPA_SHUTDOWN_TIMEOUT":             "soon",
		"HPA_LOG_LEVEL":                    "chatty",
		"HPA_LOG_FORMAT":                   "xml",
		"HPA_ACCESS_LOG":                   "some",
		"HPA_CONTACT_EMAIL":                "Someone <a@b.example>",
		"HPA_MAIL_TRANSPORT":               "pigeon",
		"HPA_MAIL_FROM":                    "not an address",
		"HPA_SMTP_PORT":                    "99999",
		"HPA_SMTP_TLS":                     "maybe",
		"HPA_SMTP_TIMEOUT":                 "0s",
		"HPA_STRIPE_API_URL":               "ftp://stripe",
		"HPA_STRIPE_WEBHOOK_TOLERANCE":     "never",
		"HPA_DONATION_MIN_PENCE":           "0",
		"HPA_DONATION_MAX_PENCE":           "-1",
		"HPA_DONATION_PRESETS":             "5,ten",
		"HPA_GIFT_AID_AGGREGATE_MAX_PENCE": "lots",
		"HPA_ACCOUNTING_YEAR_END":          "02-29",
		"HPA_GASDS_MAX_PENCE":              "0",
		"HPA_GASDS_ANNUAL_LIMIT_PENCE":     "-1",
		"HPA_VISITS_HOSTNAMES":             "www.example.org, not a host",
		"HPA_VISITS_TIMEZONE":              "Mars/Olympus",
		"HPA_VISITS_HONOUR_DNT":            "perhaps",
		"HPA_VISITS_BUFFER_SIZE":           "5",
		"HPA_VISITS_FLUSH_INTERVAL":        "never",
		"HPA_VISITS_BATCH_SIZE":            "0",
		"HPA_VISITS_VISITOR_RATE_LIMIT":    "-1",
		"HPA_VISITS_RAW_RETENTION_DAYS":    "7",
		"HPA_VISITS_ROLLUP_INTERVAL":       "0s",
		"HPA_VISITS_COUNTRY_HEADER":        "bad header!",
		"HPA_VISITS_GEOIP_DB":              "/nonexistent/countries.mmdb",
		"HPA_VISITS_BASELINE":              "-3",
	}
	_, err := Load(env(bad))
	if err == nil {
		t.Fatal("Load accepted bad values")
	}
	msg := err.Error()
	for name := range bad {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not name %s:\n%s", name, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error leaks the database password:\n%s", msg)
	}
}

func TestProductionNeedsHTTPS(t *testing.T) {
	_, err := Load(env(map[string]string{"HPA_ENV": "production", "HPA_PUBLIC_BASE_URL": "http://api.example.org"}))
	if err == nil || !strings.Contains(err.Error(), "HPA_PUBLIC_BASE_URL") {
		t.Errorf("err = %v", err)
	}
}

func TestProductionNeedsStripe(t *testing.T) {
	_, err := Load(env(map[string]string{"HPA_ENV": "production"}))
	for _, name := range []string{"HPA_STRIPE_SECRET_KEY", "HPA_STRIPE_WEBHOOK_SECRETS"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("production without %s: %v", name, err)
		}
	}
}

func TestListsAreParsed(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HPA_CORS_ORIGINS":    " https://www.example.org/ ,http://localhost:3000",
		"HPA_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7, ::1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.CORSOrigins) != "[https://www.example.org http://localhost:3000]" {
		t.Errorf("origins = %v", c.CORSOrigins)
	}
	if fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32 ::1/128]" {
		t.Errorf("proxies = %v", c.TrustedProxies)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	s := Secret("postgres://u:hunter2@h/db")
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "url", s)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), logs.String()} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "postgres://u:hunter2@h/db" {
		t.Error("Reveal lost the value")
	}
}

func TestJWTKeys(t *testing.T) {
	c, err := Load(env(map[string]string{"HPA_JWT_KEYS": "k2:" + strings.Repeat("QUJD", 11) + ",k1:" + strings.Repeat("eHl6", 11)}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.JWTKeys) != 2 || c.JWTKeys[0].ID != "k2" || len(c.JWTKeys[0].Secret.Reveal()) != 33 {
		t.Errorf("keys = %+v", c.JWTKeys)
	}
	for _, bad := range []string{"nocolon", "k:c2hvcnQ", "k:" + strings.Repeat("QUJD", 11) + ",k:" + strings.Repeat("QUJD", 11)} {
		if _, err := Load(env(map[string]string{"HPA_JWT_KEYS": bad})); err == nil || !strings.Contains(err.Error(), "HPA_JWT_KEYS") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	dev, err := Load(env(nil))
	if err != nil || dev.DevKeysFile == "" || len(dev.JWTKeys) != 1 || len(dev.JWTKeys[0].Secret.Reveal()) != 32 {
		t.Errorf("development default: %v %+v", err, dev)
	}
	if _, err := Load(env(map[string]string{"HPA_ENV": "production", "HPA_PUBLIC_BASE_URL": "https://api.example.org"})); err == nil || !strings.Contains(err.Error(), "HPA_JWT_KEYS") {
		t.Errorf("production without keys: %v", err)
	}
}

func TestEncryptionKeys(t *testing.T) {
	key32 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32)))
	c, err := Load(env(map[string]string{"HPA_ENCRYPTION_KEYS": "new:" + key32 + ",old:" + key32, "HPA_HASH_KEY": key32}))
	if err != nil || len(c.EncryptionKeys) != 2 || c.EncryptionKeys[0].ID != "new" {
		t.Fatalf("%v %+v", err, c)
	}
	key33 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 33)))
	for name, val := range map[string]string{"HPA_ENCRYPTION_KEYS": "k:" + key33, "HPA_HASH_KEY": "c2hvcnQ"} {
		if _, err := Load(env(map[string]string{name: val})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, val, err)
		}
	}
	if _, err := Load(env(map[string]string{"HPA_ENV": "production", "HPA_PUBLIC_BASE_URL": "https://a.example", "HPA_MAIL_TRANSPORT": "smtp",
		"HPA_JWT_KEYS": "k1:" + key32})); err == nil || !strings.Contains(err.Error(), "HPA_ENCRYPTION_KEYS") {
		t.Errorf("production without encryption keys: %v", err)
	}
}

func TestBadEnquirySettingsAreReportedByName(t *testing.T) {
	bad := map[string]string{
		"HPA_ENQUIRY_NOTIFY":        "staff@example.org, nonsense",
		"HPA_ENQUIRY_RETENTION":     "forever",
		"HPA_ENQUIRY_RATE_LIMIT":    "0",
		"HPA_ENQUIRY_MIN_FILL_TIME": "quick",
	}
	_, err := Load(env(bad))
	if err == nil {
		t.Fatal("Load accepted bad values")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%s", name, err)
		}
	}
}

func TestEnquirySettings(t *testing.T) {
	c, err := Load(env(map[string]string{"HPA_CONTACT_EMAIL": "hello@example.org"}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.EnquiryNotify) != "[hello@example.org]" || c.EnquiryRetention != 365*24*time.Hour ||
		c.EnquiryRateLimit != 5 || c.EnquiryMinFillTime != 3*time.Second {
		t.Errorf("defaults: notify %v, retention %s, rate %d, min fill %s", c.EnquiryNotify, c.EnquiryRetention,
			c.EnquiryRateLimit, c.EnquiryMinFillTime)
	}
	c, err = Load(env(map[string]string{"HPA_CONTACT_EMAIL": "hello@example.org", "HPA_ENQUIRY_NOTIFY": "a@example.org, b@example.org",
		"HPA_ENQUIRY_MIN_FILL_TIME": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.EnquiryNotify) != "[a@example.org b@example.org]" || c.EnquiryMinFillTime != 0 {
		t.Errorf("notify %v, min fill %s", c.EnquiryNotify, c.EnquiryMinFillTime)
	}
}

func TestVisitsSettings(t *testing.T) {
	c, err := Load(env(map[string]string{"HPA_CORS_ORIGINS": "https://www.example.org,http://localhost:3000"}))
	if err != nil {
		t.Fatal(err)
	}
	v := c.Visits
	if fmt.Sprint(v.Hostnames) != "[www.example.org localhost]" || v.TimeZone.String() != "Europe/London" || !v.HonourDNT ||
		v.FlushInterval != time.Second || v.Baseline != -1 || v.RawRetentionDays != 400 {
		t.Errorf("defaults: %+v", v)
	}
	c, err = Load(env(map[string]string{"HPA_VISITS_HOSTNAMES": "*.Example.org, hpa.example", "HPA_VISITS_TIMEZONE": "UTC",
		"HPA_VISITS_HONOUR_DNT": "false", "HPA_VISITS_BASELINE": "100", "HPA_VISITS_COUNTRY_HEADER": "CF-IPCountry"}))
	if err != nil {
		t.Fatal(err)
	}
	v = c.Visits
	if fmt.Sprint(v.Hostnames) != "[*.example.org hpa.example]" || v.TimeZone.String() != "UTC" || v.HonourDNT || v.Baseline != 100 || v.CountryHeader != "CF-IPCountry" {
		t.Errorf("set: %+v", v)
	}
}

func TestGiftAidSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.GiftAid; g.AccountingYearEnd != (MonthDay{time.March, 31}) || g.SmallDonationMaxPence != 3000 || g.SmallDonationsAnnualLimitPence != 800_000 || g.AggregateMaxPence != 2000 {
		t.Errorf("defaults: %+v", g)
	}
	c, err = Load(env(map[string]string{"HPA_ACCOUNTING_YEAR_END": "04-05", "HPA_GASDS_MAX_PENCE": "2000"}))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.GiftAid; g.AccountingYearEnd.String() != "04-05" || g.SmallDonationMaxPence != 2000 {
		t.Errorf("a trust's settings: %+v", g)
	}
	for _, bad := range []string{"31-03", "3-31", "04-31", "march"} {
		if _, err := Load(env(map[string]string{"HPA_ACCOUNTING_YEAR_END": bad})); err == nil || !strings.Contains(err.Error(), "HPA_ACCOUNTING_YEAR_END") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
