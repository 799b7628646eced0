package visits

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Counter is the public "Total Website Visits" figure.
type Counter struct {
	// Total is Baseline plus Counted plus Imported.
	Total int64
	// Baseline is the historic total from before this service counted.
	Baseline int64
	// Counted is every visit this service has rolled up.
	Counted int64
	// Imported is the imported history's visits that neither the baseline
	// nor this service counted: only from imports said to be missing from
	// the baseline, only on days before this service's first, and each
	// day once however many imports cover it.
	Imported int64
}

// counterTTL is how long a process reuses the counter: it is read on
// every public page and only moves when rollups run (every second), and
// it must still show an event within seconds.
const counterTTL = time.Second

type counterCache struct {
	mu    sync.Mutex
	value Counter
	at    time.Time
}

// Counter returns the public visit total.
func (s *Service) Counter(ctx context.Context) (Counter, error) {
	s.counter.mu.Lock()
	defer s.counter.mu.Unlock()
	if now := s.now(); !s.counter.at.IsZero() && now.Sub(s.counter.at) < counterTTL {
		return s.counter.value, nil
	}
	row, err := store.Q.VisitCounterGet(ctx, s.pool)
	if store.IsNotFound(err) {
		return Counter{}, hpa.Errorf(hpa.ENOTFOUND, "the visit counter has not been set up; run `hpa seed`")
	}
	if err != nil {
		return Counter{}, fmt.Errorf("read visit counter: %w", err)
	}
	imported, err := s.importedCounted(ctx)
	if err != nil {
		return Counter{}, err
	}
	s.counter.value = Counter{Total: row.Baseline + row.Counted + imported, Baseline: row.Baseline, Counted: row.Counted, Imported: imported}
	s.counter.at = s.now()
	return s.counter.value, nil
}

// forgetCounter makes the next Counter read the database: imports
// change it.
func (s *Service) forgetCounter() {
	s.counter.mu.Lock()
	s.counter.at = time.Time{}
	s.counter.mu.Unlock()
}

// SeedBaseline stores the historic visit total unless one is stored, and
// reports whether it did.
func SeedBaseline(ctx context.Context, db store.DBTX, baseline int64) (bool, error) {
	n, err := store.Q.VisitCounterSeed(ctx, db, baseline)
	if err != nil {
		return false, fmt.Errorf("seed visit counter: %w", err)
	}
	return n > 0, nil
}

// RealtimeWindow is how far back "right now" reaches.
const RealtimeWindow = 5 * time.Minute

// Realtime is what is happening on the site right now.
type Realtime struct {
	Visitors  int64
	Pageviews int64
	Pages     []PageVisitors
}

// PageVisitors is a page and how many visitors are on it.
type PageVisitors struct {
	Page     string
	Visitors int64
}

// Realtime counts visitors and page views of the last five minutes, from
// the raw events (a few minutes of them at most).
func (s *Service) Realtime(ctx context.Context) (*Realtime, error) {
	since := s.now().Add(-RealtimeWindow)
	totals, err := store.Q.VisitRealtime(ctx, s.pool, since)
	if err != nil {
		return nil, fmt.Errorf("realtime totals: %w", err)
	}
	pages, err := store.Q.VisitRealtimePages(ctx, s.pool, store.VisitRealtimePagesParams{Since: since, MaxPages: 10})
	if err != nil {
		return nil, fmt.Errorf("realtime pages: %w", err)
	}
	out := &Realtime{Visitors: totals.Visitors, Pageviews: totals.Pageviews, Pages: make([]PageVisitors, len(pages))}
	for i, p := range pages {
		out.Pages[i] = PageVisitors{Page: p.Pathname, Visitors: p.Visitors}
	}
	return out, nil
}

// Bots counts the bot events ignored on the dates from..to (inclusive).
func (s *Service) Bots(ctx context.Context, from, to time.Time) (int64, error) {
	n, err := store.Q.VisitBotCountsSum(ctx, s.reads, store.VisitBotCountsSumParams{DayFrom: pgDate(from), DayTo: pgDate(to.AddDate(0, 0, 1))})
	if err != nil {
		return 0, fmt.Errorf("count bots: %w", err)
	}
	return n, nil
}
