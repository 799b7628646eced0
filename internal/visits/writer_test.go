package visits

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
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
			s := NewService(pool, testSettings(), nil, nil, c.now)
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
