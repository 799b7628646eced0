package visits

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// The answer to a batch's COMMIT is lost, so the writer cannot know
// whether the batch was written; it tries again, either at once or (when
// the service is stopping at that moment) in the shutdown drain. Either
// way the events are stored once: a batch has one identity on every
// attempt, which the next attempt finds written.
func TestABatchWhoseCommitWasLostIsWrittenOnce(t *testing.T) {
	for _, stopping := range []bool{false, true} {
		name := map[bool]string{false: "retried while running", true: "carried into the shutdown drain"}[stopping]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &clock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
			dbURL := pgtest.URL(t)
			runCtx, stop := context.WithCancel(ctx)
			defer stop()
			lost := make(chan struct{})
			proxy, proxied := startCommitLoser(t, dbURL, func() {
				if stopping {
					stop() // SIGTERM arrives as the answer is lost
				}
				close(lost)
			})
			pool, err := pgxpool.New(ctx, proxied)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			direct, err := pgxpool.New(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer direct.Close()
			s := NewService(pool, Deps{}, testSettings(), c.now)
			var events []pending
			for i := range 5 {
				events = append(events, anEvent(c.t, fmt.Sprintf("/p%d", i)))
			}
			s.buffer.add(events)
			proxy.armed.Store(true)
			s.Run(runCtx)
			<-lost
			if !stopping {
				eventually(t, 10*time.Second, "the batch retried", func() bool { return s.buffer.len() == 0 })
				stop()
			}
			<-s.Stopped()
			if n := count(t, direct, `SELECT count(*) FROM visit_events`); n != 5 {
				t.Errorf("%d events stored, want the batch's 5 once", n)
			}
		})
	}
}

// When events cannot be written before the shutdown drain ends, the log
// says how many and why (here the table is locked: the database is up,
// so "unreachable" would send staff the wrong way), and they are counted.
func TestShutdownSaysWhyEventsWereLost(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
	var logs strings.Builder
	reg := prometheus.NewRegistry()
	s := NewService(pgtest.Pool(t), Deps{Metrics: reg, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, testSettings(), c.now)
	s.drainTimeout = 300 * time.Millisecond
	locker, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Rollback(ctx) }()
	if _, err := locker.Exec(ctx, `LOCK TABLE visit_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	s.buffer.add([]pending{anEvent(c.t, "/a"), anEvent(c.t, "/b"), anEvent(c.t, "/c")})
	runCtx, stop := context.WithCancel(ctx)
	s.Run(runCtx)
	eventually(t, 5*time.Second, "the writer waiting for the lock", func() bool {
		return count(t, s.pool, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0
	})
	stop()
	<-s.Stopped()
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "lost at shutdown") {
			line = l
		}
	}
	if !strings.Contains(line, "events=3") || !strings.Contains(line, "300ms") || !strings.Contains(line, "last_error=") || strings.Contains(line, "unreachable") {
		t.Errorf("shutdown logged %q: want the 3 events, the drain's 300ms and the last error", line)
	}
	if v := metricSum(t, reg, "hpa_visits_events_dropped_total"); v != 3 {
		t.Errorf("hpa_visits_events_dropped_total %v, want 3", v)
	}
}
