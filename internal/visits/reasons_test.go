package visits

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// A refused batch carries the reason of its last problem that has one of
// its own, whatever the wording of the messages; a batch with no such
// problem has none (or invalid-text).
func TestRefusedEventsCarryTheirReason(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	s := newTestService(t, &clock{t: now})
	old := now.Add(-48 * time.Hour)
	visitor := Client{IP: netip.MustParseAddr("198.51.100.23"), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
	for _, c := range []struct {
		name   string
		events []Event
		want   string
	}{
		{"another site", []Event{{URL: "https://elsewhere.example.com/"}}, ReasonHostnameNotAllowed},
		{"an old event", []Event{{URL: "https://www.example.org/", Timestamp: &old}}, ReasonTimestampOutOfRange},
		{"another site, then an old event", []Event{{URL: "https://elsewhere.example.com/"}, {URL: "https://www.example.org/", Timestamp: &old}}, ReasonTimestampOutOfRange},
		{"an old event, then another site", []Event{{URL: "https://www.example.org/", Timestamp: &old}, {URL: "https://elsewhere.example.com/"}}, ReasonHostnameNotAllowed},
		{"no URL", []Event{{URL: ""}}, ""},
		{"text that cannot be stored, then another site", []Event{{URL: "https://www.example.org/?utm_source=a%00b"}, {URL: "https://elsewhere.example.com/"}}, ReasonHostnameNotAllowed},
		{"text that cannot be stored", []Event{{URL: "https://www.example.org/?utm_source=a%00b"}}, hpa.ReasonInvalidText},
	} {
		err := s.Collect(context.Background(), visitor, c.events, func(int) string { return "body." })
		var e *hpa.Error
		if !errors.As(err, &e) || e.Code != hpa.EINVALID {
			t.Errorf("%s: got %v, want a validation problem", c.name, err)
			continue
		}
		if e.Reason != c.want {
			t.Errorf("%s: reason %q, want %q", c.name, e.Reason, c.want)
		}
	}
}
