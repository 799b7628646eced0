package content

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/harmedpatients/hpa/internal/cache"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// publicCache holds what the public reads: the site document, pages, page
// lists and audiences. Everything is dropped together, on any content
// change notification and when the next scheduled page goes live; the
// latter needs no timer, only a comparison on each read.
type publicCache struct {
	live      func() bool
	site      *cache.Cache[*Site]
	pages     *cache.Cache[*Page]
	lists     *cache.Cache[*PageList]
	audiences *cache.Cache[*AudienceList]

	mu sync.Mutex
	// generation counts resets, so a schedule read that raced a reset is
	// not stored.
	generation uint64
	// nextChange is when cached content stops being true because a
	// scheduled page goes live, in Unix nanoseconds: 0 while unknown,
	// math.MaxInt64 when nothing is scheduled.
	nextChange atomic.Int64
}

// newPublicCache returns the cache of public content. What it last read
// answers while the database is away (database.Unavailable), so the site
// stays readable through a restart of PostgreSQL.
func newPublicCache(live func() bool) *publicCache {
	return &publicCache{
		live:      live,
		site:      cache.New[*Site](1, live).ServeStale(database.Unavailable),
		pages:     cache.New[*Page](1024, live).ServeStale(database.Unavailable),
		lists:     cache.New[*PageList](256, live).ServeStale(database.Unavailable),
		audiences: cache.New[*AudienceList](1, live).ServeStale(database.Unavailable),
	}
}

// Notify drops everything: content changed somewhere, so nothing held may
// be served again, not even while the database is away.
func (c *publicCache) Notify(string) {
	c.forgetSchedule()
	c.site.Notify("")
	c.pages.Notify("")
	c.lists.Notify("")
	c.audiences.Notify("")
}

// Reset makes everything stale and forgets the schedule: notifications may
// have been missed, or a scheduled page has gone live.
func (c *publicCache) Reset() {
	c.forgetSchedule()
	c.site.Reset()
	c.pages.Reset()
	c.lists.Reset()
	c.audiences.Reset()
}

func (c *publicCache) forgetSchedule() {
	c.mu.Lock()
	c.generation++
	c.nextChange.Store(0)
	c.mu.Unlock()
}

// fresh makes sure nothing cached predates a scheduled publication that is
// now due. On the hot path it is one atomic load and a comparison.
func (s *Service) fresh(ctx context.Context) {
	c := s.public
	if c.live == nil || !c.live() {
		return // nothing is cached while notifications are not arriving
	}
	now := s.now()
	next := c.nextChange.Load()
	if next != 0 && now.UnixNano() < next {
		return
	}
	if next != 0 {
		c.Reset() // a scheduled page has just gone live
	}
	c.mu.Lock()
	gen := c.generation
	c.mu.Unlock()
	at, err := store.Q.PageNextPublishAt(ctx, s.db, now)
	var value int64
	switch {
	case store.IsNotFound(err):
		value = math.MaxInt64
	case err != nil:
		return // unknown: the next read asks again
	default:
		value = at.UnixNano()
	}
	c.mu.Lock()
	if c.generation == gen {
		c.nextChange.Store(value)
	}
	c.mu.Unlock()
}

// NextChange is when public content next changes by itself (a scheduled
// page going live), or the zero time if nothing is scheduled or it is not
// known; HTTP caches should not keep public content past it.
func (s *Service) NextChange() time.Time {
	next := s.public.nextChange.Load()
	if next == 0 || next == math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, next)
}

// write runs fn in a transaction and, once it has committed, drops this
// process's cached public content at once, so an editor's next read here
// sees the change; other processes drop theirs when the NOTIFY arrives.
func (s *Service) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if err := store.WithTx(ctx, s.db, fn); err != nil {
		return err
	}
	s.public.Notify("")
	return nil
}
