package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The cost of a limit per request, against a baseline round trip on the
// same pool in the same run (see docs/performance.md):
//
//	go test -run '^$' -bench . -benchtime 2000x ./internal/ratelimit
func BenchmarkRoundTripBaseline(b *testing.B) {
	l, _ := newLimiter(b)
	ctx := context.Background()
	for b.Loop() {
		var one int
		if err := l.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTake(b *testing.B) {
	l, _ := newLimiter(b)
	ctx := context.Background()
	p := Policy{Name: "signup", Quota: 1 << 30, Window: time.Hour}
	i := 0
	for b.Loop() {
		i++
		if _, err := l.Take(ctx, p, "198.51.100."+strconv.Itoa(i%256)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTakeMany100 counts a flush of 100 events from 100 visitors,
// as the visit writer does.
func BenchmarkTakeMany100(b *testing.B) {
	l, c := newLimiter(b)
	ctx := context.Background()
	p := Policy{Name: "visitor", Quota: 120, Window: time.Minute}
	hits := make([]Hits, 100)
	for i := range hits {
		hits[i] = Hits{Key: strconv.Itoa(i), At: c.t, N: 1}
	}
	for b.Loop() {
		if _, err := l.TakeMany(ctx, l.pool, p, hits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocalTake(b *testing.B) {
	l := NewLocal(Policy{Name: "address", Quota: 1 << 30, Window: time.Minute}, 100_000, time.Now)
	i := 0
	for b.Loop() {
		i++
		l.Take("198.51.100." + strconv.Itoa(i%256))
	}
}
