package visits

import (
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// pending is an accepted event waiting to be written.
type pending struct {
	row store.VisitEventsCopyParams
	// idHash identifies a sender-supplied event ID (nil without one).
	idHash []byte
	// receipt, for a durable sender's event, is told when it is settled.
	receipt *receipt
	// arrived is when the event arrived, which the flood limit counts by.
	arrived time.Time
}

// buffer holds accepted events until the writer takes them. Its bound
// counts events being written too, so memory stays bounded while the
// database is slow or away.
type buffer struct {
	mu       sync.Mutex
	events   []pending
	inFlight int
	limit    int
	closed   bool
	// ready is signalled when a batch's worth is waiting.
	ready chan struct{}
	// freed is closed (and replaced) whenever written events make room.
	freed chan struct{}
}

func newBuffer(limit int) *buffer {
	return &buffer{limit: limit, ready: make(chan struct{}, 1), freed: make(chan struct{})}
}

// waitForRoom waits until n more events fit, for at most until deadline,
// and reports whether they do. Briefly holding a sender back when the
// writer is behind turns a burst into latency rather than errors.
func (b *buffer) waitForRoom(n int, deadline time.Time) bool {
	for {
		b.mu.Lock()
		fits := !b.closed && len(b.events)+b.inFlight+n <= b.limit
		freed, closed := b.freed, b.closed
		b.mu.Unlock()
		if fits {
			return true
		}
		wait := time.Until(deadline)
		if closed || wait <= 0 || n > b.limit {
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-freed:
			t.Stop()
		case <-t.C:
			return false
		}
	}
}

// add queues all of events, or none if they do not fit or the buffer is
// closed.
func (b *buffer) add(events []pending) bool {
	b.mu.Lock()
	if b.closed || len(b.events)+b.inFlight+len(events) > b.limit {
		b.mu.Unlock()
		return false
	}
	b.events = append(b.events, events...)
	n := len(b.events)
	b.mu.Unlock()
	if n >= 1000 {
		b.wake()
	}
	return true
}

// wake asks the writer to write what is waiting now.
func (b *buffer) wake() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// take removes up to max events for writing; done must be called with
// their number once they are written (or given up).
func (b *buffer) take(max int) []pending {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(max, len(b.events))
	if n == 0 {
		return nil
	}
	// The batch keeps the front of the array; later appends use the
	// rest or a new array, never the batch's part.
	batch := b.events[:n:n]
	b.events = b.events[n:]
	if len(b.events) == 0 {
		b.events = make([]pending, 0, min(b.limit, 4096))
	}
	b.inFlight += n
	return batch
}

func (b *buffer) done(n int) {
	b.mu.Lock()
	b.inFlight -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// close refuses further events.
func (b *buffer) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// len is the number of events accepted and not yet written.
func (b *buffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events) + b.inFlight
}

// botTally counts ignored bot events per site-local day and reason until
// the writer stores the counts.
type botTally struct {
	mu     sync.Mutex
	counts map[botKey]int64
}

type botKey struct {
	day    time.Time
	reason string
}

func newBotTally() *botTally { return &botTally{counts: map[botKey]int64{}} }

func (t *botTally) add(day time.Time, reason string) {
	t.mu.Lock()
	t.counts[botKey{day, reason}]++
	t.mu.Unlock()
}

// takeAll empties the tally; the counts travel with the batch that
// writes them.
func (t *botTally) takeAll() map[botKey]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.counts) == 0 {
		return nil
	}
	out := t.counts
	t.counts = map[botKey]int64{}
	return out
}
