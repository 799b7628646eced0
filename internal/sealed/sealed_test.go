package sealed

import (
	"bytes"
	"errors"
	"testing"
)

func key(id string, b byte) Key { return Key{ID: id, Secret: bytes.Repeat([]byte{b}, KeySize)} }

func TestSealOpenAndRotate(t *testing.T) {
	old, err := NewKeyring([]Key{key("k1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	id, box, err := old.Seal([]byte("12 Acacia Avenue"), []byte("row-1"))
	if err != nil || id != "k1" {
		t.Fatalf("seal: %v %q", err, id)
	}
	if bytes.Contains(box, []byte("Acacia")) {
		t.Fatal("sealed value contains the plaintext")
	}
	rotated, _ := NewKeyring([]Key{key("k2", 2), key("k1", 1)})
	got, err := rotated.Open(id, box, []byte("row-1"))
	if err != nil || string(got) != "12 Acacia Avenue" {
		t.Fatalf("open after rotation: %q %v", got, err)
	}
	if id2, _, _ := rotated.Seal([]byte("x"), nil); id2 != "k2" {
		t.Errorf("rotated ring seals with %q, want k2", id2)
	}
	_, box2, _ := old.Seal([]byte("12 Acacia Avenue"), []byte("row-1"))
	if bytes.Equal(box, box2) {
		t.Error("two seals of the same value are identical: nonce reused")
	}
}

func TestOpenRefusesTamperingAndOtherRows(t *testing.T) {
	r, _ := NewKeyring([]Key{key("k1", 1)})
	id, box, _ := r.Seal([]byte("SW1A 1AA"), []byte("row-1"))
	if _, err := r.Open(id, box, []byte("row-2")); !errors.Is(err, ErrOpen) {
		t.Errorf("other row's associated data: %v", err)
	}
	box[len(box)-1] ^= 1
	if _, err := r.Open(id, box, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Errorf("tampered value: %v", err)
	}
	if _, err := r.Open("nope", box, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := r.Open(id, []byte("short"), nil); !errors.Is(err, ErrOpen) {
		t.Errorf("short value: %v", err)
	}
}

func TestKeyringValidatesKeys(t *testing.T) {
	for name, keys := range map[string][]Key{
		"none":      nil,
		"short":     {{ID: "k", Secret: []byte("short")}},
		"no id":     {{ID: "", Secret: make([]byte, KeySize)}},
		"duplicate": {key("k", 1), key("k", 2)},
	} {
		if _, err := NewKeyring(keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
