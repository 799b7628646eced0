package visits

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// defaultDurableWait is the longest CollectDurable waits for the writer.
const defaultDurableWait = 10 * time.Second

// CollectDurable is Collect for senders that must know their events are
// stored, such as a relay that retries until they are. Every event needs
// an ID. It returns once each accepted event is committed (or counted as
// a duplicate of an ID seen before, or quarantined because the database
// refused it), or else an EUNAVAILABLE error (not-yet-written) when that
// takes longer than ten seconds or the events are lost at shutdown: the
// sender should then send them again with the same IDs, which count once.
func (s *Service) CollectDurable(ctx context.Context, client Client, events []Event, prefix func(i int) string) error {
	r, err := s.collect(ctx, client, events, prefix, true)
	if err != nil || r == nil {
		return err
	}
	t := time.NewTimer(s.durableWait)
	defer t.Stop()
	select {
	case <-r.done:
		if r.lost.Load() {
			return errNotWritten()
		}
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	return errNotWritten()
}

func errNotWritten() error {
	return &hpa.Error{Code: hpa.EUNAVAILABLE, Reason: ReasonNotYetWritten, RetryAfterSeconds: 1,
		Message: "the events were not written in time; send them again, with the same IDs, after the number of seconds in Retry-After"}
}

// receipt follows a durable sender's events until the writer has settled
// each one.
type receipt struct {
	left atomic.Int64
	// lost is set if any event was given up at shutdown.
	lost atomic.Bool
	// done is closed when no event is left.
	done chan struct{}
}

func newReceipt(n int) *receipt {
	r := &receipt{done: make(chan struct{})}
	r.left.Store(int64(n))
	return r
}

// settle tells the durable senders of events that they are settled: stored
// (or set aside), or lost.
func settle(events []pending, lost bool) {
	for i := range events {
		if r := events[i].receipt; r != nil {
			if lost {
				r.lost.Store(true)
			}
			if r.left.Add(-1) == 0 {
				close(r.done)
			}
		}
	}
}
