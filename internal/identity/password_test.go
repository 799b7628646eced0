package identity

import (
	"runtime"
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

// Making a Hasher costs nothing: start-up must not spend an argon2 hash
// (32 MiB and tens of milliseconds of CPU, seconds on a busy machine)
// before the service can serve. Checking a password for an unknown account
// still costs a full derivation, as TestLoginTimingDoesNotRevealAccounts
// checks through the API.
func TestNewHasherDoesNoHashing(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h := NewHasher(DefaultArgon2)
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("NewHasher allocated %d bytes: it hashed something", allocated)
	}
	runtime.ReadMemStats(&before)
	if ok, rehash := h.Verify("any password at all", ""); ok || rehash {
		t.Errorf("no hash: ok=%v rehash=%v", ok, rehash)
	}
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated < uint64(DefaultArgon2.MemoryKiB)<<10 {
		t.Errorf("checking against no hash allocated %d bytes: it skipped the derivation", allocated)
	}
}
