package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost settings. The defaults follow OWASP's
// guidance (at least 19 MiB and 2 passes) with headroom: 32 MiB, 3 passes,
// 1 lane. docs/security.md records what a hash costs on our machine.
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is the cost new hashes use.
var DefaultArgon2 = Argon2Params{MemoryKiB: 32 * 1024, Time: 3, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Password length rules: long enough to resist guessing, bounded so a
	// huge input cannot be used to burn CPU.
	minPasswordLen = 12
	maxPasswordLen = 256
)

// Hasher hashes and verifies passwords with argon2id, allowing only as many
// hashes at once as there are CPUs so memory stays bounded under a login
// flood.
type Hasher struct {
	params Argon2Params
	slots  chan struct{}
}

// NewHasher returns a Hasher producing hashes with params. It hashes
// nothing itself: start-up must not wait for argon2.
func NewHasher(params Argon2Params) *Hasher {
	return &Hasher{params: params, slots: make(chan struct{}, runtime.NumCPU())}
}

// CheckPasswordRules returns a reason the password is unacceptable, or "".
func CheckPasswordRules(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return "must be valid UTF-8"
	case n < minPasswordLen:
		return fmt.Sprintf("must be at least %d characters", minPasswordLen)
	case n > maxPasswordLen:
		return fmt.Sprintf("must be at most %d characters", maxPasswordLen)
	case strings.TrimSpace(pw) == "":
		return "must not be only spaces"
	}
	return ""
}

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.params
	key := h.derive(password, salt, p)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded (in constant time) and
// whether the hash should be replaced because its cost settings are not
// the current ones. An empty or unreadable encoded value costs a full
// derivation with the current settings all the same, so the caller's
// timing does not reveal that there was nothing to check.
func (h *Hasher) Verify(password, encoded string) (ok, rehash bool) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		h.derive(password, make([]byte, saltLen), h.params) // same cost as a real check
		return false, false
	}
	got := h.derive(password, salt, p)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false
	}
	return true, p != h.params
}

func (h *Hasher) derive(password string, salt []byte, p Argon2Params) []byte {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
}

var errBadHash = errors.New("not an argon2id hash")

func decodeHash(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Argon2Params{}, nil, nil, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return Argon2Params{}, nil, nil, errBadHash
	}
	if p.MemoryKiB < 8*1024 || p.MemoryKiB > 1<<20 || p.Time < 1 || p.Time > 20 || p.Threads < 1 {
		return Argon2Params{}, nil, nil, errBadHash // refuse absurd costs from a tampered row
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) != keyLen {
		return Argon2Params{}, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
