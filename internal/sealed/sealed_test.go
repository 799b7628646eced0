package sealed

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func ring(t *testing.T, keys ...Key) *Ring {
	t.Helper()
	r, err := NewRing(keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	k1 = Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}
	k2 = Key{ID: "k2", Secret: bytes.Repeat([]byte{2}, 32)}
)

func TestSealOpenAndRotate(t *testing.T) {
	old := ring(t, k1)
	v := old.SealString("I was harmed during surgery", "member_sensitive.experience:42")
	if bytes.Contains(v, []byte("harmed")) || KeyID(v) != "k1" {
		t.Fatalf("sealed value: %q", v)
	}
	if a, b := old.Seal([]byte("x"), "c"), old.Seal([]byte("x"), "c"); bytes.Equal(a, b) {
		t.Error("sealing is deterministic: nonces repeat")
	}
	// After rotation the new key seals and the old one still opens.
	rotated := ring(t, k2, k1)
	if got, err := rotated.OpenString(v, "member_sensitive.experience:42"); err != nil || got != "I was harmed during surgery" {
		t.Errorf("open after rotation: %q %v", got, err)
	}
	if KeyID(rotated.SealString("y", "c")) != "k2" {
		t.Error("rotated ring does not seal with the new key")
	}
	for name, bad := range map[string]func() ([]byte, string){
		"other context": func() ([]byte, string) { return v, "member_sensitive.experience:43" },
		"tampered": func() ([]byte, string) {
			c := bytes.Clone(v)
			c[len(c)-1] ^= 1
			return c, "member_sensitive.experience:42"
		},
		"truncated":   func() ([]byte, string) { return v[:10], "member_sensitive.experience:42" },
		"unknown key": func() ([]byte, string) { return ring(t, k2).Seal([]byte("x"), "c"), "c" },
		"garbage":     func() ([]byte, string) { return []byte("plain text"), "c" },
	} {
		val, ctx := bad()
		if _, err := old.Open(val, ctx); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if empty, err := old.OpenString(old.SealString("", "c"), "c"); empty != "" || err != nil {
		t.Errorf("empty string round trip: %q %v", empty, err)
	}
}

func TestKeysMustBe256Bits(t *testing.T) {
	if _, err := NewRing([]Key{{ID: "short", Secret: []byte("too short")}}); err == nil {
		t.Error("short key accepted")
	}
	if _, err := NewHasher([]byte(strings.Repeat("k", 16))); err == nil {
		t.Error("short hash key accepted")
	}
}

func TestKeyedHashes(t *testing.T) {
	h, _ := NewHasher(bytes.Repeat([]byte{7}, 32))
	other, _ := NewHasher(bytes.Repeat([]byte{8}, 32))
	if !bytes.Equal(h.Hash("email", "a@example.org"), h.Hash("email", "a@example.org")) {
		t.Error("hash not stable")
	}
	if bytes.Equal(h.Hash("email", "a@example.org"), h.Hash("ip", "a@example.org")) || bytes.Equal(h.Hash("email", "a@example.org"), other.Hash("email", "a@example.org")) {
		t.Error("domains or keys do not separate hashes")
	}
}

func TestSealedLengthHidesShortValues(t *testing.T) {
	r := ring(t, k1)
	// The harm answer is one of a few words: all must seal to one length.
	var lengths []int
	for _, v := range []string{"no", "yes", "family", "prefer-not-to-say", "x", strings.Repeat("y", 30)} {
		lengths = append(lengths, len(r.SealString(v, "c")))
	}
	for _, n := range lengths[1:] {
		if n != lengths[0] {
			t.Fatalf("short values seal to different lengths: %v", lengths)
		}
	}
	// Free text is bucketed: lengths within a bucket look the same.
	if a, b := len(r.SealString(strings.Repeat("a", 70), "c")), len(r.SealString(strings.Repeat("a", 120), "c")); a != b {
		t.Errorf("70 and 120 bytes seal to %d and %d bytes", a, b)
	}
	if a, b := len(r.SealString(strings.Repeat("a", 5000), "c")), len(r.SealString(strings.Repeat("a", 8000), "c")); a != b {
		t.Errorf("5000 and 8000 bytes seal to %d and %d bytes", a, b)
	}
}

func TestPaddingRoundTrips(t *testing.T) {
	r := ring(t, k1)
	for _, v := range []string{"", "a", "ends in zero\x00", "\x80", strings.Repeat("é", 31), strings.Repeat("z", 4095), strings.Repeat("z", 4096), strings.Repeat("z", 9000)} {
		got, err := r.Open(r.Seal([]byte(v), "c"), "c")
		if err != nil || string(got) != v {
			t.Errorf("round trip of %d bytes: %d bytes, %v", len(v), len(got), err)
		}
	}
}

func TestUnpaddedValuesStillOpen(t *testing.T) {
	r := ring(t, k1)
	// A value sealed by the first version: no padding.
	aead := r.aeads["k1"]
	nonce := bytes.Repeat([]byte{9}, aead.NonceSize())
	old := append([]byte{formatUnpadded, 2, 'k', '1'}, nonce...)
	old = aead.Seal(old, nonce, []byte("family"), []byte("c"))
	if got, err := r.OpenString(old, "c"); err != nil || got != "family" {
		t.Fatalf("open version 1: %q %v", got, err)
	}
	if r.Current(old) || !r.Current(r.Seal([]byte("family"), "c")) || ring(t, k2, k1).Current(r.Seal([]byte("x"), "c")) {
		t.Error("Current does not tell old format or old key from current")
	}
}

func TestRotatedHashKeys(t *testing.T) {
	oldKey, newKey, otherKey := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{9}, 32)
	before, _ := NewHasher(oldKey)
	after, err := NewHasher(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHasher(newKey, []byte("short")); err == nil {
		t.Error("short retired key accepted")
	}
	all := after.EmailUnderEveryKey("A.Person@Example.org")
	if len(all) != 2 || !bytes.Equal(all[0], after.Email("a.person@example.org")) || !bytes.Equal(all[1], before.Email("a.person@example.org")) {
		t.Errorf("hashes under every key: %x", all)
	}

	r := ring(t, k1)
	sealedEmail := r.SealString("A.Person+news@example.org", "members.email:1")
	stored := func(context string, hash []byte) StoredEmail {
		return StoredEmail{Context: context, Domain: EmailDomain, Sealed: sealedEmail, Hash: hash}
	}
	hash, changed, err := after.RekeyEmail(r, stored("members.email:1", before.Email("a.person@example.org")))
	if err != nil || !changed || !bytes.Equal(hash, after.Email("a.person@example.org")) {
		t.Errorf("re-key from the retired key: %x %v %v", hash, changed, err)
	}
	if _, changed, err := after.RekeyEmail(r, stored("members.email:1", hash)); err != nil || changed {
		t.Errorf("already re-keyed: changed %v, %v", changed, err)
	}
	stranger, _ := NewHasher(otherKey)
	if _, _, err := after.RekeyEmail(r, stored("members.email:1", stranger.Email("a.person@example.org"))); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("hash under an unknown key: %v", err)
	}
	if _, _, err := after.RekeyEmail(r, stored("members.email:2", hash)); !errors.Is(err, ErrOpen) {
		t.Errorf("value from another row: %v", err)
	}
}

func TestLinksAndReferencesSurviveARotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	before, _ := NewHasher(oldKey)
	after, _ := NewHasher(newKey, oldKey)
	mac := before.Hash("unsubscribe", "member-1")[:16]
	if !after.VerifyUnderEveryKey("unsubscribe", "member-1", mac) {
		t.Error("a link made before the rotation no longer verifies")
	}
	if after.VerifyUnderEveryKey("unsubscribe", "member-2", mac) || after.VerifyUnderEveryKey("unsubscribe", "member-1", nil) {
		t.Error("a link verifies for another value, or with no MAC")
	}
	if !bytes.Equal(after.First().Hash("ref", "x"), before.Hash("ref", "x")) || before.First() != before {
		t.Error("the first key is not the oldest")
	}
}
