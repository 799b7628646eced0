// Package cache keeps hot, rarely changing values in memory and drops them
// all whenever the database says something changed. It is safe only while
// change notifications are being received, so it stops caching (every Get
// loads) whenever its live check says they are not. A cache may also keep
// the last values it loaded to answer with while the database is away.
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
	// stale, when set, accepts the load errors that the last value loaded
	// may answer instead (see ServeStale).
	stale func(error) bool

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

// ServeStale makes Get answer with the last value loaded for a key, however
// old, when loading it fails with an error stale accepts (the database is
// away): public content stays readable through an outage. Values are kept
// for this across Reset (notifications may have been missed, nothing is
// known to have changed) but not across Notify (something did change), so
// content known to be out of date is never served. It returns c.
func (c *Cache[V]) ServeStale(stale func(error) bool) *Cache[V] {
	c.stale = stale
	return c
}

// Get returns the cached value for key, or loads, caches and returns it.
// Errors are never cached.
func (c *Cache[V]) Get(ctx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	live := c.live != nil && c.live()
	// The generation is read before loading: a change that lands while we
	// load bumps it, so the value we store is already stale and won't be used.
	gen := c.generation.Load()
	if live {
		c.mu.RLock()
		e, ok := c.entries[key]
		c.mu.RUnlock()
		if ok && e.generation == gen {
			return e.value, nil
		}
	}
	v, err := load(ctx)
	if err != nil {
		return c.fallback(key, v, err)
	}
	// While notifications are not arriving a value is kept only as a
	// fallback: the Reset that comes with the next connection makes it
	// stale before anything can be served from it as fresh.
	if live || c.stale != nil {
		c.mu.Lock()
		if len(c.entries) >= c.maxEntries {
			clear(c.entries)
		}
		c.entries[key] = entry[V]{value: v, generation: gen}
		c.mu.Unlock()
	}
	return v, nil
}

// fallback answers a failed load with the last value loaded, if stale
// accepts the error and there is one.
func (c *Cache[V]) fallback(key string, v V, err error) (V, error) {
	if c.stale == nil || !c.stale(err) {
		return v, err
	}
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok {
		return v, err
	}
	return e.value, nil
}

// Notify drops every entry; the payload is ignored because content changes
// are rare and dependent views (lists, the site document) are many.
func (c *Cache[V]) Notify(string) {
	c.generation.Add(1)
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// Reset makes every entry stale: notifications may have been missed. The
// values are kept only when they may answer for an absent database
// (ServeStale).
func (c *Cache[V]) Reset() {
	if c.stale == nil {
		c.Notify("")
		return
	}
	c.generation.Add(1)
}
