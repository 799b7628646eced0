package members

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
)

// The signup's insert is the request's acknowledged write: 202 is answered
// only once it is committed, so each one waited for its commit's WAL flush.
// Under sustained signups most requests were waiting there (sampled in
// pg_stat_activity: WALWrite, WALInsert, WALSync on this insert), one
// commit per signup. So the signups requests queue at the same moment are
// inserted together: up to signupInsertsAtOnce statements run side by
// side, and the signups that arrive meanwhile gather into one batch that
// the next free statement inserts, one commit for all of them. Each request
// still returns only after its own signup is committed.

const (
	// signupInsertsAtOnce bounds the insert statements under way: enough
	// that one batch's flush overlaps the next batch's insert, few enough
	// that requests' signups gather instead of each taking a connection.
	signupInsertsAtOnce = 4
	// insertFor bounds one batch's statement. It inserts for several
	// requests, so the one that started it may end without ending it.
	insertFor = 10 * time.Second
)

// signupInserts inserts queued signups in batches (see above).
type signupInserts struct {
	db store.DBTX

	mu      sync.Mutex
	running int          // statements under way
	next    *insertBatch // gathering while signupInsertsAtOnce run; nil if none yet
}

// insertBatch is signups inserted by one statement.
type insertBatch struct {
	arg  store.MemberSignupRequestInsertManyParams
	done chan struct{}
	err  error // set before done is closed
}

// insert stores one sealed signup and returns once it is committed.
func (si *signupInserts) insert(ctx context.Context, id uuid.UUID, sealed []byte, runAfter time.Time) error {
	si.mu.Lock()
	b := si.next
	if b == nil {
		b = &insertBatch{done: make(chan struct{})}
	}
	b.arg.Ids = append(b.arg.Ids, id)
	b.arg.PayloadsSealed = append(b.arg.PayloadsSealed, sealed)
	b.arg.RunAfters = append(b.arg.RunAfters, runAfter)
	start := si.running < signupInsertsAtOnce
	if start {
		si.running++
		si.next = nil
	} else {
		si.next = b
	}
	si.mu.Unlock()
	if start {
		go si.run(ctx, b)
	}
	select {
	case <-b.done:
		if b.err != nil {
			return fmt.Errorf("queue signup: %w", b.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue signup: %w", ctx.Err())
	}
}

// run inserts batch b, then each batch that gathered meanwhile. It runs
// on its own goroutine, so every request of a batch, the one that started
// it too, stops waiting when its own request ends.
func (si *signupInserts) run(ctx context.Context, b *insertBatch) {
	for b != nil {
		stmt, cancel := context.WithTimeout(context.WithoutCancel(ctx), insertFor)
		b.err = store.Q.MemberSignupRequestInsertMany(stmt, si.db, b.arg)
		cancel()
		close(b.done)
		si.mu.Lock()
		b, si.next = si.next, nil
		if b == nil {
			si.running--
		}
		si.mu.Unlock()
	}
}
