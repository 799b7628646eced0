package identity

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token audiences: a staff token is useless where a member token is
// expected, and the other way round.
const (
	AudienceStaff  = "hpa-staff"
	AudienceMember = "hpa-member"
)

// SigningKey is one HMAC key for JWTs, named by its kid.
type SigningKey struct {
	ID     string
	Secret []byte
}

// MinKeyBytes is the shortest HMAC key accepted: HS256 needs 256 bits.
const MinKeyBytes = 32

// clockSkew is the leeway allowed on exp, nbf and iat between servers.
const clockSkew = 30 * time.Second

// Tokens issues and verifies the service's JWTs. The first key signs; every
// key verifies, so keys can be rotated by adding a new one first and
// removing the old one after the longest token lifetime has passed.
type Tokens struct {
	issuer  string
	signing SigningKey
	keys    map[string][]byte
	now     func() time.Time

	// verified remembers tokens that passed every check, until they
	// expire: a client sends the same access token for 15 minutes, and
	// decoding its JSON each time is most of the cost of a cheap request.
	mu       sync.RWMutex
	verified map[string]*Claims
}

const verifiedMax = 10_000

// NewTokens returns Tokens for issuer, signing with keys[0].
func NewTokens(issuer string, keys []SigningKey, now func() time.Time) (*Tokens, error) {
	if len(keys) == 0 {
		return nil, errors.New("no JWT signing keys")
	}
	t := &Tokens{issuer: issuer, signing: keys[0], keys: map[string][]byte{}, now: now, verified: map[string]*Claims{}}
	for _, k := range keys {
		if len(k.Secret) < MinKeyBytes {
			return nil, fmt.Errorf("JWT key %q is shorter than %d bytes", k.ID, MinKeyBytes)
		}
		t.keys[k.ID] = k.Secret
	}
	return t, nil
}

// Claims are what the service's tokens carry beyond the registered claims.
type Claims struct {
	jwt.RegisteredClaims
	// Roles are a staff member's roles when the token was issued. They are
	// informational: authorisation uses the current roles.
	Roles []Role `json:"roles,omitempty"`
	// SessionID names the sign-in (the refresh-token family) a staff token
	// belongs to, so ending that session refuses the token at once.
	SessionID string `json:"sid,omitempty"`
}

// Issue signs a token for subject and audience, valid for ttl.
func (t *Tokens) Issue(audience, subject string, roles []Role, ttl time.Duration) (string, time.Time, error) {
	return t.issue(audience, subject, "", roles, ttl)
}

func (t *Tokens) issue(audience, subject, session string, roles []Role, ttl time.Duration) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        randomID(),
		},
		Roles:     roles,
		SessionID: session,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = t.signing.ID
	signed, err := tok.SignedString(t.signing.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return signed, exp, nil
}

// errInvalidToken is deliberately uninformative: callers learn only that
// the token is not acceptable.
var errInvalidToken = errors.New("invalid token")

// Parse verifies a token strictly: HS256 only (no "none", no RSA/HMAC
// confusion), a known kid, the right issuer and audience, and an expiry
// that is present and not past (30 s of clock skew allowed).
func (t *Tokens) Parse(token, audience string) (*Claims, error) {
	cacheKey := audience + " " + token
	t.mu.RLock()
	claims, ok := t.verified[cacheKey]
	t.mu.RUnlock()
	if ok {
		if t.now().Before(claims.ExpiresAt.Add(clockSkew)) {
			return claims, nil
		}
		t.mu.Lock()
		delete(t.verified, cacheKey)
		t.mu.Unlock()
		return nil, errInvalidToken
	}
	claims, err := t.parse(token, audience)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if len(t.verified) >= verifiedMax {
		clear(t.verified)
	}
	t.verified[cacheKey] = claims
	t.mu.Unlock()
	return claims, nil
}

func (t *Tokens) parse(token, audience string) (*Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(audience),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	var claims Claims
	_, err := parser.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		key, ok := t.keys[kid]
		if !ok {
			return nil, errInvalidToken
		}
		return key, nil
	})
	if err != nil || claims.Subject == "" {
		return nil, errInvalidToken
	}
	return &claims, nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomID() string { return randomToken(16) }
