package donations

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// FuzzWebhook feeds the Stripe webhook any payload, signed with the
// configured secret (so decoding is reached) or with any header at all.
// Verification and each event type's decoding must never panic and may
// refuse only with a WebhookError (a 400), never an error that would be a
// 500 and make Stripe deliver it again for days; whatever an event
// decodes to, the text it carries can be stored. The effects themselves
// need a database and are tested through the API. Seeds:
// testdata/fuzz/FuzzWebhook.
func FuzzWebhook(f *testing.F) {
	const secret = "whsec_fuzz"
	now := time.Unix(1_800_000_000, 0)
	s := &Service{settings: Settings{WebhookSecrets: []string{secret}, WebhookTolerance: 5 * time.Minute},
		now: func() time.Time { return now }, logger: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, payload []byte, header string, sign bool) {
		if sign {
			header = stripemock.Sign(payload, now, secret)
		}
		refusedRightly := func(err error) {
			t.Helper()
			var we *WebhookError
			var de *hpa.Error
			if !errors.As(err, &we) && (!errors.As(err, &de) || de.Code == hpa.EINTERNAL) {
				t.Fatalf("refused with %v, which would be a 500", err)
			}
		}
		ev, err := s.VerifyWebhook(payload, header)
		if err != nil {
			refusedRightly(err)
			return
		}
		var object any
		if err := json.Unmarshal(ev.Data.Raw, &object); err != nil {
			t.Fatalf("a verified event's object does not decode: %v", err)
		}
		for _, text := range append(texts(object), ev.ID, string(ev.Type), string(storableJSON(payload))) {
			if fault := hpa.TextFault(text); fault != "" {
				t.Fatalf("a verified event holds text that %s: %q", fault, text)
			}
		}
		if h, ok := s.handlers()[ev.Type]; ok {
			if _, err := h(context.Background(), ev); err != nil {
				refusedRightly(err)
			}
		}
	})
}

// texts is every string and key in a decoded JSON value.
func texts(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, texts(x)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(append(out, k), texts(x)...)
		}
		return out
	}
	return nil
}
