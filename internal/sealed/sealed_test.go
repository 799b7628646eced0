package sealed

import (
	"bytes"
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
