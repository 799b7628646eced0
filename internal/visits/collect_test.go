package visits

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// A User-Agent header naming an unknown browser at great length (HTTP
// allows 32 KB of headers here) must not yield a browser name the rollups
// cannot index: that would stop every later rollup of its day.
func TestLongBrowserNamesCannotStopRollups(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	runCtx, stop := context.WithCancel(ctx)
	s.Run(runCtx)
	// Characters that do not compress (an index entry over 2.7 KB is
	// refused) and spell no bot marker.
	name := make([]byte, 10_000)
	for i, x := 0, uint32(1); i < len(name); i++ {
		x = x*1664525 + 1013904223
		name[i] = "BCDFGHJKLMNPQRSTVWXZbcdfghjklmnpqrstvwxz"[(x>>16)%40]
	}
	visitor := Client{IP: netip.MustParseAddr("198.51.100.23"), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) " + string(name) + "/1.0"}
	if err := s.Collect(ctx, visitor, []Event{{URL: "https://www.example.org/"}}, func(int) string { return "body." }); err != nil {
		t.Fatal(err)
	}
	stop()
	<-s.Stopped()
	if n := count(t, s.pool, `SELECT count(*) FROM visit_events`); n != 1 {
		t.Fatalf("%d events written, want 1", n)
	}
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatalf("rollup: %v", err)
	}
	if n := count(t, s.pool, `SELECT max(length(value)) FROM visit_rollups_daily WHERE dimension = 'browser'`); n > maxClassName {
		t.Errorf("a browser name of %d bytes was kept", n)
	}
}
