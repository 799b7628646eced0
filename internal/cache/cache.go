// Package cache keeps hot, rarely changing values in memory and drops them
// all whenever the database says something changed. It is safe only while
// change notifications are being received, so it stops caching (every Get
// loads) whenever its live check says they are not.
package cache

import (
	"context"
	"sync"
	"sync/atomic"
)

// Cache maps keys to values loaded on demand. Its zero value is not usable;
// call New.
type Cache[V any] struct {
	live       func() bool
	maxEntries int

	generation atomic.Uint64
	mu         sync.RWMutex
	entries    map[string]entry[V]
}

type entry[V any] struct {
	value      V
	generation uint64
}

// New returns a cache holding at most maxEntries values. live reports whether
// invalidations are currently being delivered; nil means never, so nothing is
// cached.
func New[V any](maxEntries int, live func() bool) *Cache[V] {
	return &Cache[V]{live: live, maxEntries: maxEntries, entries: make(map[string]entry[V])}
}

// Get returns the cached value for key, or loads, caches and returns it.
// Errors are never cached.
func (c *Cache[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	if c.live == nil || !c.live() {
		return load(ctx)
	}
	gen := c.generation.Load()
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && e.generation == gen {
		return e.value, nil
	}
	// The generation is read before loading: a change that lands while we
	// load bumps it, so the value we store is already stale and won't be used.
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.maxEntries {
		clear(c.entries)
	}
	c.entries[key] = entry[V]{value: v, generation: gen}
	c.mu.Unlock()
	return v, nil
}

// Notify drops every entry; the payload is ignored because content changes
// are rare and dependent views (lists, the site document) are many.
func (c *Cache[V]) Notify(string) { c.Reset() }

// Reset drops every entry.
func (c *Cache[V]) Reset() {
	c.generation.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
