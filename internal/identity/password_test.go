package identity

import (
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(DefaultArgon2)
	encoded, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=32768,t=3,p=1$") {
		t.Errorf("encoded = %q", encoded)
	}
	if ok, rehash := h.Verify("correct horse battery staple", encoded); !ok || rehash {
		t.Errorf("right password: ok=%v rehash=%v", ok, rehash)
	}
	if ok, _ := h.Verify("wrong horse battery staple", encoded); ok {
		t.Error("wrong password accepted")
	}
	if ok, _ := h.Verify("anything", ""); ok {
		t.Error("empty hash accepted")
	}
	for _, bad := range []string{"$argon2i$v=19$m=32768,t=3,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=99999999,t=3,p=1$c2FsdA$aGFzaA", "plain"} {
		if ok, _ := h.Verify("x", bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	// A hash made with older, cheaper settings verifies and asks to be upgraded.
	old, _ := NewHasher(Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}).Hash("correct horse battery staple")
	if ok, rehash := h.Verify("correct horse battery staple", old); !ok || !rehash {
		t.Errorf("old hash: ok=%v rehash=%v", ok, rehash)
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                     false,
		strings.Repeat(" ", 20):     false,
		strings.Repeat("a", 257):    false,
		"twelve chars":              true,
		"a long passphrase is fine": true,
		"\xff\xfe invalid utf8 pw":  false,
	} {
		if got := CheckPasswordRules(pw) == ""; got != ok {
			t.Errorf("%q: accepted=%v, want %v", pw, got, ok)
		}
	}
}

func BenchmarkArgon2idHash(b *testing.B) {
	h := NewHasher(DefaultArgon2)
	for i := 0; i < b.N; i++ {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
