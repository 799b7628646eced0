package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// Key is one named 256-bit key.
type Key struct {
	ID     string
	Secret []byte
}

// Keyring seals with its first key and opens with any of its keys.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// ErrUnknownKey means a value was sealed with a key the ring does not hold.
var ErrUnknownKey = errors.New("sealed: unknown key ID")

// ErrOpen means a sealed value is corrupt, was tampered with, or belongs to
// other associated data.
var ErrOpen = errors.New("sealed: cannot open value")

// NewKeyring returns a ring whose first key seals. Keys must be 32 bytes
// with distinct, non-empty IDs.
func NewKeyring(keys []Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealed: no keys")
	}
	r := &Keyring{current: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if k.ID == "" || len(k.ID) > 64 {
			return nil, fmt.Errorf("sealed: key ID %q must be 1 to 64 characters", k.ID)
		}
		if _, dup := r.aeads[k.ID]; dup {
			return nil, fmt.Errorf("sealed: key ID %q appears twice", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("sealed: key %q must be %d bytes, got %d", k.ID, KeySize, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("sealed: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealed: key %q: %w", k.ID, err)
		}
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// CurrentKeyID is the ID of the key Seal uses.
func (r *Keyring) CurrentKeyID() string { return r.current }

// Seal encrypts plaintext with the current key, binding it to
// associatedData. It returns the key ID to store and the sealed value
// (a random 96-bit nonce followed by the ciphertext and tag).
func (r *Keyring) Seal(plaintext, associatedData []byte) (keyID string, box []byte, err error) {
	aead := r.aeads[r.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, fmt.Errorf("sealed: nonce: %w", err)
	}
	return r.current, aead.Seal(nonce, nonce, plaintext, associatedData), nil
}

// Open decrypts a value sealed with key keyID and the same associated data.
func (r *Keyring) Open(keyID string, box, associatedData []byte) ([]byte, error) {
	aead, ok := r.aeads[keyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	if len(box) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], associatedData)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
