package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testNow    = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	testKey    = SigningKey{ID: "k1", Secret: []byte(strings.Repeat("k", 32))}
	testIssuer = "https://api.example.org"
)

func testTokens(t *testing.T, now time.Time) *Tokens {
	t.Helper()
	tokens, err := NewTokens(testIssuer, []SigningKey{testKey, {ID: "k0", Secret: []byte(strings.Repeat("o", 32))}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"iss": testIssuer, "aud": AudienceStaff, "sub": "0193a4f4-8d3c-7b1e-9f0a-2c4d6e8f0a1b",
		"iat": testNow.Unix(), "exp": testNow.Add(15 * time.Minute).Unix(), "jti": "x"}
}

func TestIssuedTokensVerify(t *testing.T) {
	tokens := testTokens(t, testNow)
	tok, exp, err := tokens.Issue(AudienceStaff, "someone", []Role{RoleEditor}, 15*time.Minute)
	if err != nil || !exp.Equal(testNow.Add(15*time.Minute)) {
		t.Fatal(err, exp)
	}
	claims, err := tokens.Parse(tok, AudienceStaff)
	if err != nil || claims.Subject != "someone" || claims.Roles[0] != RoleEditor || claims.ID == "" {
		t.Fatalf("parse: %v %+v", err, claims)
	}
	// A key kept for verification after rotation still verifies.
	old := sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("o", 32)), "k0", validClaims())
	if _, err := tokens.Parse(old, AudienceStaff); err != nil {
		t.Errorf("token signed with the previous key: %v", err)
	}
}

func TestParseRejectsEveryBadToken(t *testing.T) {
	tokens := testTokens(t, testNow)
	secret := testKey.Secret
	good := sign(t, jwt.SigningMethodHS256, secret, "k1", validClaims())
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) jwt.MapClaims {
		c := validClaims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	cases := map[string]string{
		"expired":          sign(t, jwt.SigningMethodHS256, secret, "k1", with("exp", testNow.Add(-time.Minute).Unix())),
		"no exp":           sign(t, jwt.SigningMethodHS256, secret, "k1", with("exp", nil)),
		"wrong audience":   sign(t, jwt.SigningMethodHS256, secret, "k1", with("aud", AudienceMember)),
		"no audience":      sign(t, jwt.SigningMethodHS256, secret, "k1", with("aud", nil)),
		"wrong issuer":     sign(t, jwt.SigningMethodHS256, secret, "k1", with("iss", "https://evil.example")),
		"issued in future": sign(t, jwt.SigningMethodHS256, secret, "k1", with("iat", testNow.Add(time.Hour).Unix())),
		"not yet valid":    sign(t, jwt.SigningMethodHS256, secret, "k1", with("nbf", testNow.Add(time.Hour).Unix())),
		"no subject":       sign(t, jwt.SigningMethodHS256, secret, "k1", with("sub", nil)),
		"unknown kid":      sign(t, jwt.SigningMethodHS256, secret, "k9", validClaims()),
		"no kid":           sign(t, jwt.SigningMethodHS256, secret, "", validClaims()),
		"wrong key":        sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), "k1", validClaims()),
		"HS384":            sign(t, jwt.SigningMethodHS384, secret, "k1", validClaims()),
		"HS512":            sign(t, jwt.SigningMethodHS512, secret, "k1", validClaims()),
		"RS256":            sign(t, jwt.SigningMethodRS256, rsaKey, "k1", validClaims()),
		"alg none":         sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "k1", validClaims()),
		"tampered payload": tamper(good),
		"truncated":        good[:len(good)-10],
		"garbage":          "not.a.token",
		"empty":            "",
		"extra segment":    good + ".x",
	}
	for name, tok := range cases {
		if _, err := tokens.Parse(tok, AudienceStaff); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Within 30 s of clock skew a just-expired token still passes.
	skewed := sign(t, jwt.SigningMethodHS256, secret, "k1", with("exp", testNow.Add(-10*time.Second).Unix()))
	if _, err := tokens.Parse(skewed, AudienceStaff); err != nil {
		t.Errorf("10 s skew refused: %v", err)
	}
}

// tamper flips the subject inside the payload, keeping the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := jwt.NewParser().DecodeSegment(parts[1])
	changed := strings.Replace(string(payload), "0193a4f4", "0193a4f5", 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(changed))
	return strings.Join(parts, ".")
}

func TestShortKeysAreRefused(t *testing.T) {
	if _, err := NewTokens(testIssuer, []SigningKey{{ID: "k", Secret: []byte("too short")}}, time.Now); err == nil {
		t.Error("short HMAC key accepted")
	}
}

// A token verified once is remembered, but not past its expiry.
func TestVerifiedTokensExpireFromMemory(t *testing.T) {
	now := testNow
	tokens, err := NewTokens(testIssuer, []SigningKey{testKey}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := tokens.Issue(AudienceStaff, "someone", nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := tokens.Parse(tok, AudienceStaff); err != nil {
			t.Fatalf("parse %d: %v", i, err)
		}
	}
	if _, err := tokens.Parse(tok, AudienceMember); err == nil {
		t.Error("remembered token accepted for another audience")
	}
	now = now.Add(2 * time.Minute)
	if _, err := tokens.Parse(tok, AudienceStaff); err == nil {
		t.Error("expired token accepted from memory")
	}
}
