package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
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

// reader collects errors so one run reports every bad variable.
type reader struct {
	getenv func(string) string
	// fallback holds values for variables the environment leaves unset
	// (development keys).
	fallback map[string]string
	errs     []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) get(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	if v := r.fallback[name]; v != "" {
		return v
	}
	return def
}

// useDevKeys makes the development keys file supply the keys the
// environment does not set, returning its path (empty when every key is
// set) and whether it was created.
func (r *reader) useDevKeys() (string, bool) {
	unset := false
	for _, name := range devKeyNames {
		unset = unset || strings.TrimSpace(r.getenv(name)) == ""
	}
	if !unset {
		return "", false
	}
	path := r.get("HPA_DEV_KEYS_FILE", defaultDevKeysFile)
	values, created, err := devKeys(path)
	if err != nil {
		r.fail("HPA_DEV_KEYS_FILE", "%s cannot be used for development keys (%v): fix or delete it, point HPA_DEV_KEYS_FILE elsewhere, or set %s",
			path, err, strings.Join(devKeyNames, ", "))
		return "", false
	}
	r.fallback = map[string]string{}
	for _, name := range devKeyNames {
		r.fallback[name] = values[name]
	}
	return path, created
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

// optionalDatabaseURL is databaseURL for a variable that may be unset.
func (r *reader) optionalDatabaseURL(name string) Secret {
	if r.get(name, "") == "" {
		return ""
	}
	return r.databaseURL(name, "")
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

// base64Secrets is base64Secret for a comma-separated list.
func (r *reader) base64Secrets(name string, minLen int) []Secret {
	var out []Secret
	for _, v := range splitList(r.get(name, "")) {
		secret, ok := decodeBase64(v)
		if !ok || len(secret) < minLen {
			r.fail(name, "must list base64 secrets of at least %d bytes each", minLen)
			continue
		}
		out = append(out, Secret(secret))
	}
	return out
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
