package donations

import (
	"bytes"
	"testing"
)

// TestStorableJSONKeepsCleanPayloadsAsSent: a payload jsonb accepts is
// stored byte for byte (no decode and re-encode on every event), and one
// with an escape jsonb refuses, or bytes that are not UTF-8, is made
// storable.
func TestStorableJSONKeepsCleanPayloadsAsSent(t *testing.T) {
	t.Parallel()
	for _, clean := range []string{
		`{"id":"evt_1","data":{"object":{"name":"Zoë <b>&amp;","amount":1000}}}`,
		`{"note":"caf\u00e9 \u20ac, a backslash \\ and a \"quote\""}`,
	} {
		if got := storableJSON([]byte(clean)); !bytes.Equal(got, []byte(clean)) {
			t.Errorf("storableJSON(%s) = %s, want it unchanged", clean, got)
		}
	}
	for _, refused := range []string{
		`{"name":"a\u0000b"}`,
		`{"name":"\ud83d"}`,
		`{"name":"\uDFFF"}`,
		"{\"name\":\"\xff\"}",
	} {
		got := storableJSON([]byte(refused))
		if bytes.Equal(got, []byte(refused)) || bytes.Contains(got, []byte(`\u0000`)) {
			t.Errorf("storableJSON(%q) = %q, want it made storable", refused, got)
		}
	}
}
