// Package sealed encrypts special-category and other sensitive fields at
// the column level with AES-256-GCM, and computes keyed hashes so that an
// encrypted value (an email address) can still be looked up and kept
// unique. Keys are named so they can be rotated: the first key in the ring
// seals, every key opens.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Key is one AES-256 key and its ID.
type Key struct {
	ID     string
	Secret []byte // 32 bytes
}

// Ring seals with its first key and opens with any.
type Ring struct {
	sealID string
	aeads  map[string]cipher.AEAD
}

// Version bytes that start every sealed value. Version 1 sealed the
// plaintext as it was, so the ciphertext's length gave away the value's
// length (and with it which of a few enumerated answers it was); version 2
// pads first. Version 1 values still open.
const (
	formatUnpadded = 1
	format         = 2
)

// Padding: the plaintext gets a 0x80 marker and zeros up to its bucket
// (ISO/IEC 7816-4). Every value shorter than minPadded bytes seals to the
// same length, which covers every enumerated answer and most email
// addresses; longer free text rounds up to the next power of two, then to
// a multiple of maxBucket, so the length says only roughly how long it is.
const (
	minPadded = 32
	maxBucket = 4096
)

// paddedLen is the length n bytes of plaintext are padded to.
func paddedLen(n int) int {
	n++ // the marker
	if n > maxBucket {
		return (n + maxBucket - 1) / maxBucket * maxBucket
	}
	size := minPadded
	for size < n {
		size *= 2
	}
	return size
}

// pad appends plaintext, the marker and zeros to dst.
func pad(dst, plaintext []byte) []byte {
	size := paddedLen(len(plaintext))
	dst = append(dst, plaintext...)
	dst = append(dst, 0x80)
	return append(dst, make([]byte, size-len(plaintext)-1)...)
}

// unpad removes the zeros and the marker.
func unpad(padded []byte) ([]byte, bool) {
	i := len(padded) - 1
	for i >= 0 && padded[i] == 0 {
		i--
	}
	if i < 0 || padded[i] != 0x80 {
		return nil, false
	}
	return padded[:i], true
}

// NewRing returns a ring over keys; keys[0] seals.
func NewRing(keys []Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealed: no keys")
	}
	r := &Ring{sealID: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("sealed: key %q must be 32 bytes", k.ID)
		}
		if len(k.ID) == 0 || len(k.ID) > 255 {
			return nil, fmt.Errorf("sealed: key ID %q must be 1 to 255 bytes", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// Seal encrypts plaintext. context binds the value to where it is stored
// (e.g. "members.email:<id>") so a sealed value copied into another row or
// column does not open there. Output: format byte, key ID length, key ID,
// nonce, ciphertext of the padded plaintext.
func (r *Ring) Seal(plaintext []byte, context string) []byte {
	aead := r.aeads[r.sealID]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	padded := pad(make([]byte, 0, paddedLen(len(plaintext))), plaintext)
	out := make([]byte, 0, 2+len(r.sealID)+len(nonce)+len(padded)+aead.Overhead())
	out = append(out, format, byte(len(r.sealID)))
	out = append(out, r.sealID...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, padded, []byte(context))
}

// SealString is Seal for strings; the empty string seals to nil.
func (r *Ring) SealString(s, context string) []byte {
	if s == "" {
		return nil
	}
	return r.Seal([]byte(s), context)
}

// ErrOpen reports a value that cannot be opened: corrupt, tampered, moved
// to another context or sealed with a key no longer in the ring.
var ErrOpen = errors.New("sealed: cannot open value")

// Open decrypts a value from Seal with the same context.
func (r *Ring) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < 2 || (sealed[0] != format && sealed[0] != formatUnpadded) {
		return nil, ErrOpen
	}
	idLen := int(sealed[1])
	if len(sealed) < 2+idLen {
		return nil, ErrOpen
	}
	aead, ok := r.aeads[string(sealed[2:2+idLen])]
	if !ok {
		return nil, ErrOpen
	}
	rest := sealed[2+idLen:]
	if len(rest) < aead.NonceSize() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	if sealed[0] == formatUnpadded {
		return plain, nil
	}
	plain, ok = unpad(plain)
	if !ok {
		return nil, ErrOpen
	}
	return plain, nil
}

// Current reports whether a value is sealed in the current format with
// the ring's sealing key; anything else should be sealed again.
func (r *Ring) Current(sealed []byte) bool {
	return len(sealed) > 0 && sealed[0] == format && KeyID(sealed) == r.sealID
}

// OpenString is Open for strings; nil opens to "".
func (r *Ring) OpenString(sealed []byte, context string) (string, error) {
	if sealed == nil {
		return "", nil
	}
	b, err := r.Open(sealed, context)
	return string(b), err
}

// KeyID returns the ID of the key a value was sealed with ("" if unreadable),
// for re-encryption after rotation.
func KeyID(sealed []byte) string {
	if len(sealed) < 2 || len(sealed) < 2+int(sealed[1]) {
		return ""
	}
	return string(sealed[2 : 2+int(sealed[1])])
}

// Hasher computes keyed hashes (HMAC-SHA256) for lookups of sealed values.
// It hashes with its current key. After the key is rotated, the keys it
// replaced are kept as retired keys: `hpa keys rehash` re-keys every hash
// whose value can still be opened, and the few lookups that must also find
// what cannot be re-keyed (an erased member's tombstone keeps only its
// hash) ask for the hashes under every key.
type Hasher struct {
	key     []byte
	retired []*Hasher
}

// NewHasher returns a Hasher with a secret key of at least 32 bytes, and
// the keys it replaced, if any, newest first.
func NewHasher(key []byte, retired ...[]byte) (*Hasher, error) {
	if len(key) < 32 {
		return nil, errors.New("sealed: hash key must be at least 32 bytes")
	}
	h := &Hasher{key: key}
	for _, k := range retired {
		old, err := NewHasher(k)
		if err != nil {
			return nil, fmt.Errorf("sealed: retired hash key: %w", err)
		}
		h.retired = append(h.retired, old)
	}
	return h, nil
}

// First returns a Hasher for the oldest key, retired or not: for the
// references that must never change while the key is rotated (what a
// partner organisation knows a member by).
func (h *Hasher) First() *Hasher {
	if len(h.retired) == 0 {
		return h
	}
	return h.retired[len(h.retired)-1]
}

// HashUnderEveryKey returns value's hash within domain under the current
// key and then under each retired key: for the lookups that must also find
// what was hashed before a rotation and cannot be re-keyed.
func (h *Hasher) HashUnderEveryKey(domain, value string) [][]byte {
	out := [][]byte{h.Hash(domain, value)}
	for _, old := range h.retired {
		out = append(out, old.Hash(domain, value))
	}
	return out
}

// EmailUnderEveryKey is HashUnderEveryKey for Email.
func (h *Hasher) EmailUnderEveryKey(address string) [][]byte {
	return h.HashUnderEveryKey(EmailDomain, hpa.EmailKey(address))
}

// VerifyUnderEveryKey reports whether mac is the start of value's hash
// within domain under any key: a link in an email sent before a rotation
// still works.
func (h *Hasher) VerifyUnderEveryKey(domain, value string, mac []byte) bool {
	if len(mac) == 0 {
		return false
	}
	for _, sum := range h.HashUnderEveryKey(domain, value) {
		if hmac.Equal(sum[:min(len(mac), len(sum))], mac) {
			return true
		}
	}
	return false
}

// Hash returns the keyed hash of value within a domain ("email", …), so
// equal values in different domains hash differently.
func (h *Hasher) Hash(domain, value string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// Email returns the keyed hash that finds a person's records by their
// address (see hpa.EmailKey): the same for every table that holds one.
func (h *Hasher) Email(address string) []byte {
	return h.Hash(EmailDomain, hpa.EmailKey(address))
}

// EmailDomain is the domain of Email's hashes.
const EmailDomain = "member-email"

// ErrHashMismatch reports a stored hash that matches its value under
// neither the current key nor any retired key: re-keying it would lose the
// link between them, so it stops (a retired key is missing or wrong).
var ErrHashMismatch = errors.New("sealed: stored hash matches no hash key")

// RekeyEmail returns the hash, under h's current key, of the address
// sealed in e (hashed within e.Domain after e.Prefix, as the row's owner
// hashes it), and whether it differs from e.Hash, the hash stored beside
// it: e.Hash must be that hash under the current key or a retired one, or
// the answer is ErrHashMismatch.
func (h *Hasher) RekeyEmail(ring *Ring, e StoredEmail) (hash []byte, changed bool, err error) {
	address, err := ring.Open(e.Sealed, e.Context)
	if err != nil {
		return nil, false, err
	}
	for i, candidate := range h.HashUnderEveryKey(e.Domain, e.Prefix+hpa.EmailKey(string(address))) {
		if hmac.Equal(candidate, e.Hash) {
			return h.Hash(e.Domain, e.Prefix+hpa.EmailKey(string(address))), i > 0, nil
		}
	}
	return nil, false, ErrHashMismatch
}
