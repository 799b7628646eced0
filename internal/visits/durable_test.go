package visits

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// A durable sender hears back once its events are stored; when they are
// not stored in time, or the service stops first, it hears that instead
// (and sending them again with the same IDs counts them once).
func TestDurableCollectionAnswersForEveryOutcome(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Now()}
	s := newTestService(t, c)
	s.settings.FlushInterval = time.Hour // only a durable sender's wake-up writes
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s.Run(runCtx)
	relay := Client{IP: netip.MustParseAddr("198.51.100.23"), UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
	send := func(id string) error {
		return s.CollectDurable(ctx, relay, []Event{{URL: "https://www.example.org/", ID: id}}, func(int) string { return "body." })
	}
	events := func() int64 { return count(t, s.pool, `SELECT count(*) FROM visit_events`) }
	notWritten := func(err error) bool {
		var e *hpa.Error
		return errors.As(err, &e) && e.Code == hpa.EUNAVAILABLE && e.Reason == "not-yet-written"
	}
	lockEvents := func() func() {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE visit_events IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback(ctx) }
	}

	if err := send("written"); err != nil || events() != 1 {
		t.Fatalf("durable event: %v, %d stored when answered", err, events())
	}

	unlock := lockEvents()
	s.durableWait = 200 * time.Millisecond
	if err := send("slow"); !notWritten(err) {
		t.Fatalf("durable event held up by a lock: %v, want not-yet-written", err)
	}
	unlock()
	s.durableWait = defaultDurableWait
	if err := send("slow"); err != nil || events() != 2 {
		t.Fatalf("the slow event sent again: %v, %d stored, want 2 (the first copy written, the second counted once)", err, events())
	}

	unlock = lockEvents()
	defer unlock()
	s.drainTimeout = 200 * time.Millisecond
	answer := make(chan error, 1)
	go func() { answer <- send("at-shutdown") }()
	eventually(t, 5*time.Second, "the writer waiting for the lock", func() bool {
		return count(t, s.pool, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0
	})
	stopped := time.Now()
	stop()
	<-s.Stopped()
	if err := <-answer; !notWritten(err) || time.Since(stopped) > 5*time.Second {
		t.Errorf("durable event lost at shutdown: %v after %s, want not-yet-written at once", err, time.Since(stopped))
	}
}
