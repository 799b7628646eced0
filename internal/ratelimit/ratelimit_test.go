package ratelimit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/sealed"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLimiter(t testing.TB) (*Limiter, *clock) {
	t.Helper()
	hasher, err := sealed.NewHasher([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return New(pgtest.Pool(t), hasher, c.now), c
}

// A quota is used up, refused with the time left in the window, whole
// again when the window ends; a refund gives one request back.
func TestTakeRefundAndReset(t *testing.T) {
	l, c := newLimiter(t)
	ctx := context.Background()
	p := Policy{Name: "test", Quota: 2, Window: time.Hour}
	var last Decision
	for i, want := range []bool{true, true, false} {
		d, err := l.Take(ctx, p, "203.0.113.1")
		if err != nil || d.Allowed != want || d.Remaining != max(0, 1-i) {
			t.Fatalf("take %d: %+v %v", i+1, d, err)
		}
		if d.Reset <= 0 || d.Reset > time.Hour {
			t.Fatalf("take %d: reset in %s", i+1, d.Reset)
		}
		last = d
	}
	if other, _ := l.Take(ctx, p, "203.0.113.2"); !other.Allowed {
		t.Error("another key shares the quota")
	}
	c.t = c.t.Add(last.Reset)
	d, err := l.Take(ctx, p, "203.0.113.1")
	if err != nil || !d.Allowed || d.Remaining != 1 {
		t.Fatalf("after the window: %+v %v", d, err)
	}
	if err := l.Refund(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d, _ = l.Take(ctx, p, "203.0.113.1"); d.Remaining != 1 {
		t.Errorf("after a refund: %d remaining, want 1", d.Remaining)
	}
	c.t = c.t.Add(2 * time.Hour)
	if n, err := l.Purge(ctx); err != nil || n != 2 {
		t.Errorf("purged %d (%v), want both ended windows", n, err)
	}
}

// Keys' windows start at different offsets, and each lasts the window.
func TestWindowsAreStaggered(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ends := map[time.Time]bool{}
	for _, key := range []string{"a", "b", "c", "d"} {
		end := windowEnd([]byte(key+"-padding"), time.Minute, now)
		if !end.After(now) || end.Sub(now) > time.Minute {
			t.Errorf("%s: window ends %s for now %s", key, end, now)
		}
		if again := windowEnd([]byte(key+"-padding"), time.Minute, end.Add(-time.Second)); !again.Equal(end) {
			t.Errorf("%s: the window's last second ends at %s, want %s", key, again, end)
		}
		ends[end] = true
	}
	if len(ends) < 2 {
		t.Error("every key's window ends at the same instant")
	}
}

// TakeMany counts earlier hits first and copes with one key's hits in
// two windows in one call.
func TestTakeMany(t *testing.T) {
	l, c := newLimiter(t)
	ctx := context.Background()
	p := Policy{Name: "visitor", Quota: 3, Window: time.Minute}
	end := windowEnd(l.bucket(p, "v1"), p.Window, c.t)
	hits := []Hits{
		{Key: "v1", At: c.t, N: 2}, {Key: "v2", At: c.t, N: 1}, {Key: "v1", At: c.t, N: 2},
		{Key: "v1", At: end, N: 4}, // the next window
	}
	allowed, err := l.TakeMany(ctx, l.pool, p, hits)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2, 1, 1, 3}; len(allowed) != 4 || allowed[0] != want[0] || allowed[1] != want[1] || allowed[2] != want[2] || allowed[3] != want[3] {
		t.Errorf("allowed %v, want %v", allowed, want)
	}
}

func TestLocal(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)}
	l := NewLocal(Policy{Name: "address", Quota: 1, Window: time.Minute}, 1, c.now)
	if d := l.Take("a"); !d.Allowed || d.Reset != 30*time.Second {
		t.Errorf("first: %+v", d)
	}
	if d := l.Take("a"); d.Allowed {
		t.Error("second allowed")
	}
	if d := l.Take("b"); !d.Allowed {
		t.Error("an untracked key beyond the bound must pass")
	}
	c.t = c.t.Add(30 * time.Second)
	if d := l.Take("a"); !d.Allowed {
		t.Error("refused in the next window")
	}
}

// Takes of one bucket made while its row is locked (by a count under way
// in another instance, here a transaction) wait as one statement, not one
// each: each would wait in turn for the one before it to commit. Every
// Take is still counted once, in the order they came.
func TestConcurrentTakesOfOneBucketAreCountedTogether(t *testing.T) {
	l, _ := newLimiter(t)
	ctx := context.Background()
	p := Policy{Name: "signup", Quota: 10, Window: time.Hour}
	const key, n = "198.51.100.7", 30
	if _, err := l.Take(ctx, p, key); err != nil {
		t.Fatal(err)
	}
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT 1 FROM rate_limit_hits FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	decisions := make(chan Decision, n)
	for range n {
		go func() {
			d, err := l.Take(ctx, p, key)
			if err != nil {
				t.Error(err)
			}
			decisions <- d
		}()
	}
	k := string(l.bucket(p, key))
	waiting := func() int { // Takes behind the one statement under way
		l.mu.Lock()
		defer l.mu.Unlock()
		if b := l.counting[k]; b != nil {
			return b.n
		}
		return 0
	}
	blocked := func() int { // statements waiting for the row
		var n int
		if err := l.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); waiting() != n-1 || blocked() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d Takes batched behind the first, %d statements waiting; want %d and 1", waiting(), blocked(), n-1)
		}
	}
	if b := blocked(); b != 1 {
		t.Errorf("%d statements wait for the row, want 1", b)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	remaining := map[int]int{}
	allowed := 0
	for range n {
		d := <-decisions
		remaining[d.Remaining]++
		if d.Allowed {
			allowed++
		}
	}
	if allowed != p.Quota-1 || remaining[0] != n-p.Quota+2 || remaining[8] != 1 {
		t.Errorf("%d of %d allowed, remaining counts %v; want %d allowed, each of 8…1 once", allowed, n, remaining, p.Quota-1)
	}
	var hits int
	if err := l.pool.QueryRow(ctx, `SELECT hits FROM rate_limit_hits`).Scan(&hits); err != nil || hits != n+1 {
		t.Errorf("the row counts %d hits (%v), want %d", hits, err, n+1)
	}
}
