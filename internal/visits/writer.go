package visits

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// defaultDrainTimeout bounds how long shutdown keeps retrying unwritten
// events.
const defaultDrainTimeout = 15 * time.Second

// Run writes accepted events until ctx ends, then refuses new ones and
// writes what is left, retrying for up to 15 seconds. Only events still
// unwritten after that are lost, and they are counted and logged. Meanwhile
// it keeps the open days' rollups fresh (refresh).
func (s *Service) Run(ctx context.Context) {
	s.startOnce.Do(func() { go s.run(ctx) })
}

// Stopped is closed once Run has flushed and returned.
func (s *Service) Stopped() <-chan struct{} { return s.writing }

func (s *Service) run(ctx context.Context) {
	defer close(s.writing)
	refreshed := make(chan struct{})
	go func() { defer close(refreshed); s.refresh(ctx) }()
	defer func() { <-refreshed }()
	if err := s.EnsurePartitions(ctx, s.today(), 4); err != nil {
		s.logger.Warn("visit partitions not checked at start-up; the writer will retry", "error", err)
	}
	ticker := time.NewTicker(s.settings.FlushInterval)
	defer ticker.Stop()
	var carry []batch
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-ticker.C:
		case <-s.buffer.ready:
		}
		carry = s.flush(ctx, carry)
	}
	s.buffer.close()
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.drainTimeout)
	defer cancel()
	carry = s.flush(drain, carry)
	n := 0
	for _, b := range carry {
		s.finish(b.events, true)
		n += len(b.events)
	}
	for rest := s.buffer.take(s.settings.BufferSize); len(rest) > 0; rest = s.buffer.take(s.settings.BufferSize) {
		s.finish(rest, true)
		n += len(rest)
	}
	if n > 0 {
		s.metrics.dropped.WithLabelValues("shutdown").Add(float64(n))
		reason := "none: the drain ran out of time while writing"
		if s.lastWriteErr != nil {
			reason = s.lastWriteErr.Error()
		}
		s.logger.Error("visit events lost at shutdown: still unwritten when the shutdown drain ended",
			"events", n, "drain", s.drainTimeout, "last_error", reason)
	}
}

// batch is events (and bot counts) the writer writes together. Its ID is
// the same on every attempt, the shutdown drain's included, so that an
// attempt after one whose COMMIT went unanswered finds the batch written
// instead of writing it twice.
type batch struct {
	id     uuid.UUID
	events []pending
	bots   map[botKey]int64
	// refused, when set, is why the database would not store the
	// batch's one event, which then goes to the quarantine.
	refused *pgconn.PgError
}

// flush writes every waiting event, after carry (batches an earlier flush
// could not finish), and returns the batches still unwritten if ctx ended.
func (s *Service) flush(ctx context.Context, carry []batch) []batch {
	for {
		if len(carry) == 0 {
			b := batch{id: uuid.New(), events: s.buffer.take(s.settings.BatchSize), bots: s.bots.takeAll()}
			if len(b.events) == 0 && len(b.bots) == 0 {
				return nil
			}
			carry = []batch{b}
		}
		parts, ok := s.writeBatch(ctx, carry[0])
		if !ok {
			return carry
		}
		carry = append(parts, carry[1:]...)
	}
}

// writeBatch writes one batch, retrying with back-off while the database
// is unavailable, until it is written or ctx ends (false). A batch the
// database refuses for its data is not retried: it returns the parts to
// write in its place (see split).
func (s *Service) writeBatch(ctx context.Context, b batch) ([]batch, bool) {
	backoff := 50 * time.Millisecond
	ensured := false
	for attempt := 0; ; attempt++ {
		var err error
		if b.refused != nil {
			err = s.quarantineOnce(ctx, b)
		} else {
			err = s.writeOnce(ctx, b)
		}
		if err == nil {
			s.finish(b.events, false)
			return nil, true
		}
		if ctx.Err() != nil {
			s.lastWriteErr = err
			return nil, false
		}
		s.metrics.writeFailures.Inc()
		if refusal := refusalOf(err); refusal != nil {
			switch {
			case b.refused != nil:
				s.unstorable(b, refusal)
				return nil, true
			case missingPartition(refusal) && !ensured:
				if err = s.ensureMonthsOf(ctx, b.events); err == nil {
					ensured = true
					continue
				}
			default:
				return s.split(b, refusal), true
			}
		}
		s.lastWriteErr = err
		s.logger.Warn("writing visit events failed; retrying", "events", len(b.events), "attempt", attempt+1, "error", err)
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// finish frees the buffer's room for events the writer is done with, and
// tells their durable senders.
func (s *Service) finish(events []pending, lost bool) {
	settle(events, lost)
	s.buffer.done(len(events))
}

// writeOnce makes one attempt at writing b and counts its events.
func (s *Service) writeOnce(ctx context.Context, b batch) error {
	var written, duplicates, propsDropped int64
	var flooded map[botKey]int64
	var propsAdmitted, propsRefused []string
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		written, duplicates, flooded, propsDropped, propsAdmitted, propsRefused = 0, 0, nil, 0, nil, nil
		claimed, err := store.Q.VisitWriteBatchClaim(ctx, tx, b.id)
		if err != nil {
			return fmt.Errorf("claim batch: %w", err)
		}
		if claimed == 0 {
			written = int64(len(b.events)) // counted as written by the lost attempt's commit
			return nil
		}
		fresh, dupes, err := s.withoutDuplicates(ctx, tx, b.events)
		if err != nil {
			return err
		}
		duplicates = dupes
		rows, floods, err := s.withoutFloods(ctx, tx, fresh)
		if err != nil {
			return err
		}
		flooded = floods
		if propsDropped, propsAdmitted, propsRefused, err = s.boundProps(ctx, tx, rows); err != nil {
			return err
		}
		if len(rows) > 0 {
			byVisitor(rows)
			n, err := store.Q.VisitEventsCopy(ctx, tx, rows)
			if err != nil {
				return fmt.Errorf("copy visit events: %w", err)
			}
			written = n
			if err := store.Q.VisitRollupMarkDirty(ctx, tx, s.daysOf(rows)); err != nil {
				return fmt.Errorf("mark rollups dirty: %w", err)
			}
		}
		if bots := mergeCounts(b.bots, flooded); len(bots) > 0 {
			var arg store.VisitBotCountsAddParams
			for k, n := range bots {
				arg.Days = append(arg.Days, pgDate(k.day))
				arg.Reasons = append(arg.Reasons, k.reason)
				arg.Counts = append(arg.Counts, n)
			}
			if err := store.Q.VisitBotCountsAdd(ctx, tx, arg); err != nil {
				return fmt.Errorf("count bots: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		if written > 0 {
			select {
			case s.wrote <- struct{}{}:
			default: // a refresh is already due
			}
		}
		s.metrics.written.Add(float64(written))
		s.metrics.dropped.WithLabelValues("duplicate").Add(float64(duplicates))
		s.metrics.propsDropped.Add(float64(propsDropped))
		s.rememberProps(propsAdmitted, propsRefused)
		for _, n := range flooded {
			s.metrics.ignored.WithLabelValues("bot").Add(float64(n))
		}
	}
	return err
}

// withoutDuplicates drops events whose client ID was written before (or
// appears earlier in the batch), claiming the new IDs in tx.
func (s *Service) withoutDuplicates(ctx context.Context, tx pgx.Tx, batch []pending) ([]pending, int64, error) {
	var hashes [][]byte
	for i := range batch {
		if batch[i].idHash != nil {
			hashes = append(hashes, batch[i].idHash)
		}
	}
	var fresh map[string]bool
	if len(hashes) > 0 {
		claimed, err := store.Q.VisitEventIDsClaim(ctx, tx, hashes)
		if err != nil {
			return nil, 0, fmt.Errorf("claim event IDs: %w", err)
		}
		fresh = make(map[string]bool, len(claimed))
		for _, h := range claimed {
			fresh[string(h)] = true
		}
	}
	kept := make([]pending, 0, len(batch))
	var dupes int64
	for i := range batch {
		if h := batch[i].idHash; h != nil {
			if !fresh[string(h)] {
				dupes++
				continue
			}
			delete(fresh, string(h)) // a second copy within the batch is a duplicate too
		}
		kept = append(kept, batch[i])
	}
	return kept, dupes, nil
}

// byVisitor sorts rows by visitor and time: their entries in the visitor
// index then go in key order, and a visitor's events of a batch share heap
// pages, which the rollup passes read by visitor (docs/performance.md,
// "Visits: what ingest costs").
func byVisitor(rows []store.VisitEventsCopyParams) {
	slices.SortFunc(rows, func(a, b store.VisitEventsCopyParams) int {
		return cmp.Or(cmp.Compare(a.VisitorID, b.VisitorID), a.Ts.Compare(b.Ts))
	})
}

// daysOf lists the site-local days of rows, sorted, so that concurrent
// writers lock dirty-day rows in the same order.
func (s *Service) daysOf(rows []store.VisitEventsCopyParams) []time.Time {
	seen := map[time.Time]bool{}
	var days []time.Time
	for i := range rows {
		d := localDate(rows[i].Ts, s.settings.TimeZone)
		if !seen[d] {
			seen[d] = true
			days = append(days, d)
		}
	}
	slices.SortFunc(days, func(a, b time.Time) int { return cmp.Compare(a.Unix(), b.Unix()) })
	out := make([]time.Time, len(days))
	for i, d := range days {
		out[i] = pgDate(d)
	}
	return out
}

// EnsurePartitions creates the raw-event partitions for months months
// from the month of from (those that already exist are left alone).
func (s *Service) EnsurePartitions(ctx context.Context, from time.Time, months int) error {
	_, err := store.Q.VisitPartitionsEnsure(ctx, s.pool, store.VisitPartitionsEnsureParams{
		FromMonth: pgDate(time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)), Months: int32(months),
	})
	if err != nil {
		return fmt.Errorf("ensure visit partitions: %w", err)
	}
	return nil
}
