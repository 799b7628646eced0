package ratelimit

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Policy is one limit: at most Quota requests per Window for each key.
type Policy struct {
	// Name identifies the policy in the RateLimit fields ("signup").
	Name   string
	Quota  int
	Window time.Duration
}

// Decision is the outcome of counting one request against a Policy.
type Decision struct {
	Policy  Policy
	Allowed bool
	// Remaining is how many more requests the window allows.
	Remaining int
	// Reset is how long until the window ends and the quota is whole again.
	Reset time.Duration

	bucket    []byte
	windowEnd time.Time
}

// ResetSeconds is Reset in whole seconds, rounded up and at least 1, for
// Retry-After and the RateLimit field's t parameter.
func (d Decision) ResetSeconds() int {
	return max(1, int((d.Reset+time.Second-1)/time.Second))
}

// Limiter counts requests in PostgreSQL, shared by every instance.
//
// Takes of one bucket that arrive together are counted together: every
// count of a bucket updates one row, so concurrent ones queue on its lock
// and each waits for the one before it to commit (a WAL flush). Requests
// from one address, a partner's server say, were held to one commit
// after another (about 1,300 signups/s on the benchmark machine). So
// while a bucket's count is under way, the Takes that arrive join a batch
// that the next statement counts at once, n hits in one upsert.
type Limiter struct {
	pool   *pgxpool.Pool
	hasher *sealed.Hasher
	now    func() time.Time

	mu sync.Mutex
	// counting holds the buckets with a statement under way, each with
	// the batch waiting to be counted after it (nil if none yet).
	counting map[string]*batch
}

// batch is Takes of one bucket counted by one statement.
type batch struct {
	n    int // Takes in the batch
	done chan struct{}
	// Set before done is closed: the bucket's hits after the batch's,
	// the window's end, or the error that failed them all.
	hits int
	end  time.Time
	err  error
}

// New returns a Limiter over pool. Keys are stored as hasher's keyed
// hashes, so no client address reaches the database.
func New(pool *pgxpool.Pool, hasher *sealed.Hasher, now func() time.Time) *Limiter {
	return &Limiter{pool: pool, hasher: hasher, now: now, counting: map[string]*batch{}}
}

// Take counts one request for key against p and says whether it is
// allowed. A refused request counts too, so hammering does not pay.
func (l *Limiter) Take(ctx context.Context, p Policy, key string) (Decision, error) {
	bucket := l.bucket(p, key)
	k := string(bucket)
	l.mu.Lock()
	b, busy := l.counting[k]
	if b == nil {
		b = &batch{done: make(chan struct{})}
	}
	b.n++
	mine := b.n
	if busy {
		l.counting[k] = b // counted once the statement under way is done
	} else {
		l.counting[k] = nil
	}
	l.mu.Unlock()
	if !busy {
		go l.count(ctx, p, bucket, b)
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return Decision{}, fmt.Errorf("rate limit %s: %w", p.Name, ctx.Err())
	}
	if b.err != nil {
		return Decision{}, fmt.Errorf("rate limit %s: %w", p.Name, b.err)
	}
	// The batch's hits are counted in the order its Takes joined it.
	return decide(p, bucket, b.hits-b.n+mine, b.end, l.now()), nil
}

// countFor bounds one batch's statement. It counts for several requests,
// so the one whose request started it may end without ending it.
const countFor = 10 * time.Second

// count counts batch b of bucket in one statement, then each batch that
// gathered meanwhile. It runs on its own goroutine, so every Take of a
// batch, the one that started it too, stops waiting when its own request
// ends.
func (l *Limiter) count(ctx context.Context, p Policy, bucket []byte, b *batch) {
	k := string(bucket)
	for b != nil {
		l.mu.Lock()
		n := b.n // no Take joins b any more: the next ones make a new batch
		l.mu.Unlock()
		end := windowEnd(bucket, p.Window, l.now())
		stmt, cancel := context.WithTimeout(context.WithoutCancel(ctx), countFor)
		row, err := store.Q.RateLimitHit(stmt, l.pool, store.RateLimitHitParams{Bucket: bucket, WindowEndsAt: end, N: int32(n)})
		cancel()
		b.hits, b.end, b.err = int(row.Hits), row.WindowEndsAt, err
		close(b.done)
		l.mu.Lock()
		b = l.counting[k]
		if b == nil {
			delete(l.counting, k)
		} else {
			l.counting[k] = nil
		}
		l.mu.Unlock()
	}
}

// Refund gives back the request d counted, for requests refused for
// reasons that should not use up a person's allowance. It does nothing
// once d's window has ended.
func (l *Limiter) Refund(ctx context.Context, d Decision) error {
	if d.bucket == nil {
		return nil
	}
	err := store.Q.RateLimitRefund(ctx, l.pool, store.RateLimitRefundParams{Bucket: d.bucket, WindowEndsAt: d.windowEnd})
	if err != nil {
		return fmt.Errorf("refund rate limit %s: %w", d.Policy.Name, err)
	}
	return nil
}

// Purge deletes the counts of windows that have ended.
func (l *Limiter) Purge(ctx context.Context) (int64, error) {
	n, err := store.Q.RateLimitDeleteBefore(ctx, l.pool, l.now())
	if err != nil {
		return 0, fmt.Errorf("purge rate limits: %w", err)
	}
	return n, nil
}

// bucket is the stored identity of key under p: a keyed hash, truncated
// to 16 bytes (collisions between limited things are then negligible).
func (l *Limiter) bucket(p Policy, key string) []byte {
	return l.hasher.Hash("rate-limit", p.Name+"\x00"+key)[:16]
}

// windowEnd is when the window holding now ends for bucket. Windows are
// whole seconds (PostgreSQL keeps microseconds; a refund must find its
// window again) and offset by the bucket's hash.
func windowEnd(bucket []byte, window time.Duration, now time.Time) time.Time {
	w := max(1, int64(window/time.Second))
	offset := int64(binary.BigEndian.Uint64(bucket[:8]) % uint64(w))
	t := now.Unix() - offset
	start := t - ((t%w)+w)%w + offset
	return time.Unix(start+w, 0)
}

func decide(p Policy, bucket []byte, hits int, end, now time.Time) Decision {
	return Decision{Policy: p, Allowed: hits <= p.Quota, Remaining: max(0, p.Quota-hits), Reset: max(0, end.Sub(now)),
		bucket: bucket, windowEnd: end}
}
