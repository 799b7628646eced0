package visits

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testSettings() Settings {
	return Settings{
		Hostnames: []string{"www.example.org"}, TimeZone: hpa.London, HonourDNT: true, BufferSize: 100_000,
		FlushInterval: 20 * time.Millisecond, BatchSize: 10_000, VisitorRateLimit: 1000, RawRetentionDays: 400,
		RollupInterval: time.Minute,
	}
}

func newTestService(t *testing.T, c *clock) *Service {
	t.Helper()
	return NewService(pgtest.Pool(t), Deps{}, testSettings(), c.now)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// count runs a query returning one number.
func count(t *testing.T, db store.DBTX, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// anEvent is a row as Collect makes it, for tests that feed the writer
// directly (below the validation, as a gap in it would).
func anEvent(ts time.Time, path string) pending {
	return pending{row: store.VisitEventsCopyParams{Ts: ts, VisitorID: 42, Name: "pageview", Hostname: "www.example.org",
		Pathname: path, Source: "Direct / None", Device: "Desktop", Browser: "Safari", Os: "macOS", ScreenWidth: 1280}}
}

// answerLines is q's answer as sorted lines of dimensions and metrics, so
// that two ways of counting it can be compared as text.
func answerLines(t *testing.T, s *Service, q Query) string {
	t.Helper()
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	lines := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		lines[i] = fmt.Sprint(r.Dimensions, r.Metrics)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
