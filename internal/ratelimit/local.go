package ratelimit

import (
	"sync"
	"time"
)

// Local counts requests against a Policy in this process's memory, in
// windows aligned to the clock. Each instance counts on its own, so it is
// for coarse flood protection only. It tracks at most maxKeys keys a
// window, so endless addresses cannot grow memory without bound: keys
// beyond that pass uncounted.
type Local struct {
	policy  Policy
	maxKeys int
	now     func() time.Time

	mu     sync.Mutex
	window int64
	counts map[string]int
}

// NewLocal returns an in-memory limiter for p.
func NewLocal(p Policy, maxKeys int, now func() time.Time) *Local {
	return &Local{policy: p, maxKeys: maxKeys, now: now, counts: map[string]int{}}
}

// Take counts one request for key and says whether it is allowed.
func (l *Local) Take(key string) Decision {
	now := l.now()
	w := max(1, int64(l.policy.Window/time.Second))
	window := now.Unix() / w
	end := time.Unix((window+1)*w, 0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if window != l.window {
		l.window = window
		clear(l.counts)
	}
	n, tracked := l.counts[key]
	if !tracked && len(l.counts) >= l.maxKeys {
		return Decision{Policy: l.policy, Allowed: true, Remaining: l.policy.Quota, Reset: end.Sub(now)}
	}
	n++
	l.counts[key] = n
	return Decision{Policy: l.policy, Allowed: n <= l.policy.Quota, Remaining: max(0, l.policy.Quota-n), Reset: end.Sub(now)}
}
