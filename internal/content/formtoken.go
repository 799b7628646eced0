package content

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Enquiry form tokens prove that a form was fetched a while before it was
// sent: a person takes seconds to write a message, a bot posting straight
// away does not wait. A token is the time it was issued and a random
// nonce, signed with HMAC-SHA256; it is checked without touching the
// database, and its nonce is then recorded so it sends one enquiry only.
// Bots cannot skip the wait by forging a token (they lack the key) or by
// reusing an old one (one use each; and tokens expire).

const (
	formTokenVersion = 1
	formNonceBytes   = 16
	formPayloadBytes = 1 + 8 + formNonceBytes
	formTagBytes     = 16
)

// FormToken is a signed token for one enquiry.
type FormToken struct {
	Token string
	// NotBefore is the earliest the form may be sent; ExpiresAt the latest.
	NotBefore time.Time
	ExpiresAt time.Time
}

// formTokens issues and checks form tokens. The first key signs; all
// verify, so keys can be rotated.
type formTokens struct {
	keys    [][]byte
	minFill time.Duration
	maxAge  time.Duration
	now     func() time.Time
}

// DeriveFormKey turns a service secret (a JWT signing key) into a key used
// only for form tokens, so the two uses never share a key.
func DeriveFormKey(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("hpa enquiry form token v1"))
	return mac.Sum(nil)
}

func (f *formTokens) issue() FormToken {
	now := f.now()
	payload := make([]byte, formPayloadBytes, formPayloadBytes+formTagBytes)
	payload[0] = formTokenVersion
	binary.BigEndian.PutUint64(payload[1:9], uint64(now.UnixMilli()))
	_, _ = rand.Read(payload[9:])
	token := append(payload, sign(f.keys[0], payload)...)
	return FormToken{
		Token:     base64.RawURLEncoding.EncodeToString(token),
		NotBefore: now.Add(f.minFill).UTC(),
		ExpiresAt: now.Add(f.maxAge).UTC(),
	}
}

// check verifies a token's signature and timing, returning its nonce and
// when it expires (for the one-use record).
func (f *formTokens) check(token string) (nonce []byte, expires time.Time, err error) {
	raw, decodeErr := base64.RawURLEncoding.DecodeString(token)
	if decodeErr != nil || len(raw) != formPayloadBytes+formTagBytes || raw[0] != formTokenVersion || !f.verify(raw) {
		return nil, time.Time{}, hpa.Invalid("body.form_token", "is not a form token from GET /v1/enquiries/form-token").WithReason(ReasonFormTokenInvalid)
	}
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(raw[1:9])))
	now := f.now()
	switch age := now.Sub(issued); {
	case age < -time.Minute:
		return nil, time.Time{}, hpa.Invalid("body.form_token", "is not a form token from GET /v1/enquiries/form-token").WithReason(ReasonFormTokenInvalid)
	case age < f.minFill:
		e := hpa.Errorf(hpa.EINVALID, "the form was sent too quickly after it was opened; wait a moment and send it again").WithReason(ReasonFormSentTooFast)
		e.RetryAfterSeconds = int(math.Ceil((f.minFill - age).Seconds()))
		return nil, time.Time{}, e
	case age > f.maxAge:
		return nil, time.Time{}, hpa.Errorf(hpa.EINVALID, "the form has expired; reload it (a new form token) and send it again").WithReason(ReasonFormTokenExpired)
	}
	return raw[9:formPayloadBytes], issued.Add(f.maxAge), nil
}

func (f *formTokens) verify(raw []byte) bool {
	payload, tag := raw[:formPayloadBytes], raw[formPayloadBytes:]
	for _, k := range f.keys {
		if hmac.Equal(sign(k, payload), tag) {
			return true
		}
	}
	return false
}

func sign(key, payload []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hpa-enquiry-form\x00"))
	mac.Write(payload)
	return mac.Sum(nil)[:formTagBytes]
}
