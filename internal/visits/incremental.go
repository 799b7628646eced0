package visits

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// An open day's rollups are kept fresh incrementally: every figure of a
// day is a sum over its visitors, so a pass recounts only the visitors
// with events it has not seen (those not visible in the snapshot the day's
// last pass recorded) and adds to the daily, hourly and monthly rollups
// what their events count now minus what they counted then. Its cost
// follows the new events and their visitors, never the day's size. Once no
// more events can arrive for a day, the full recount (rollupDay, the
// reference) counts it a last time and the day's mark goes.

// dayOpenFor is how long after its end a day is still counted
// incrementally: events may be up to maxEventAge old when they arrive.
const dayOpenFor = maxEventAge + time.Hour

// defaultRefreshInterval is how often each process brings open days up
// to date when Settings.RefreshInterval is zero.
const defaultRefreshInterval = time.Second

// dayOpen reports whether events may still arrive for day.
func (s *Service) dayOpen(day time.Time) bool {
	_, end := dayBounds(day, s.settings.TimeZone)
	return s.now().Before(end.Add(dayOpenFor))
}

// refresh runs Rollup as soon as this process's writer has written events
// and at least every RefreshInterval (for other instances' events) until
// ctx ends, so that reports see accepted events within seconds. Every
// instance runs it; the per-day locks keep them from counting a day twice.
func (s *Service) refresh(ctx context.Context) {
	every := s.settings.RefreshInterval
	if every <= 0 {
		every = defaultRefreshInterval
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.wrote:
		}
		if _, err := s.Rollup(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("refreshing visit rollups failed; retrying", "error", err)
		}
	}
}

// rollupFresh brings an open day's rollups up to date with its new events
// (or, the first time, with all of them) and reports whether it did (false
// if another process holds the day).
func (s *Service) rollupFresh(ctx context.Context, day time.Time, version int64) (bool, error) {
	start, end := dayBounds(day, s.settings.TimeZone)
	locked := false
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if locked, err = store.Q.VisitRollupLockDay(ctx, tx, dayKey(day)); err != nil || !locked {
			return err
		}
		if err := store.Q.VisitFreshSettings(ctx, tx); err != nil {
			return fmt.Errorf("set up the pass: %w", err)
		}
		mark, err := store.Q.VisitFreshMarkGet(ctx, tx, pgDate(day))
		if store.IsNotFound(err) {
			return s.countDayAfresh(ctx, tx, day, start, end)
		}
		if err != nil {
			return fmt.Errorf("read the mark: %w", err)
		}
		fresh, err := store.Q.VisitFreshVisitorsSince(ctx, tx, store.VisitFreshVisitorsSinceParams{Seen: mark.Seen, DayStart: start, DayEnd: end})
		if err != nil {
			return fmt.Errorf("find new visitors: %w", err)
		}
		if len(fresh.Visitors) > 0 {
			if err := s.lockMonth(ctx, tx, day); err != nil {
				return err
			}
			if err := s.applyDelta(ctx, tx, store.VisitFreshApplyParams{DayStart: start, DayEnd: end, Visitors: fresh.Visitors,
				Upto: fresh.Upto, Seen: &mark.Seen, Day: pgDate(day), WithMonth: true}); err != nil {
				return err
			}
		}
		if err := s.keepVisitRows(ctx, tx, day, start, end, fresh.Visitors, fresh.Upto, mark.RowsCurrent); err != nil {
			return err
		}
		return store.Q.VisitFreshMarkSet(ctx, tx, store.VisitFreshMarkSetParams{Day: pgDate(day), Seen: fresh.Upto})
	})
	if err != nil {
		return false, fmt.Errorf("refresh the rollups of %s: %w", day.Format(time.DateOnly), err)
	}
	if !locked {
		return false, nil
	}
	if _, err := store.Q.VisitRollupDirtyClear(ctx, s.pool, store.VisitRollupDirtyClearParams{Day: pgDate(day), Version: version}); err != nil {
		return true, fmt.Errorf("clear dirty day: %w", err)
	}
	return true, nil
}

// countDayAfresh counts an open day with no mark from all its events,
// replacing whatever rollups and visit rows it had, and recounts its
// month, in tx.
func (s *Service) countDayAfresh(ctx context.Context, tx pgx.Tx, day, start, end time.Time) error {
	all, err := store.Q.VisitFreshVisitorsAll(ctx, tx, store.VisitFreshVisitorsAllParams{DayStart: start, DayEnd: end})
	if err != nil {
		return fmt.Errorf("list the day's visitors: %w", err)
	}
	if err := store.Q.VisitRollupDeleteDay(ctx, tx, pgDate(day)); err != nil {
		return fmt.Errorf("delete the day's rollups: %w", err)
	}
	if err := store.Q.VisitRollupDeleteHours(ctx, tx, store.VisitRollupDeleteHoursParams{DayStart: start, DayEnd: end}); err != nil {
		return fmt.Errorf("delete the day's hourly rollups: %w", err)
	}
	if err := s.applyDelta(ctx, tx, store.VisitFreshApplyParams{DayStart: start, DayEnd: end, Visitors: all.Visitors,
		Upto: all.Upto, Day: pgDate(day)}); err != nil {
		return err
	}
	if err := s.lockMonth(ctx, tx, day); err != nil {
		return err
	}
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := store.Q.VisitRollupDeleteMonth(ctx, tx, pgDate(month)); err != nil {
		return fmt.Errorf("delete the month's rollup: %w", err)
	}
	if _, err := store.Q.VisitRollupMonth(ctx, tx, store.VisitRollupMonthParams{Month: pgDate(month), MonthEnd: pgDate(month.AddDate(0, 1, 0))}); err != nil {
		return fmt.Errorf("recount the month: %w", err)
	}
	// The whole day's visit rows, planned as a pass plans them: the first
	// count of a day comes while its events have no statistics yet, and
	// planned with nested loops it took seconds for a few thousand events.
	if err := s.keepVisitRows(ctx, tx, day, start, end, nil, all.Upto, false); err != nil {
		return err
	}
	return store.Q.VisitFreshMarkSet(ctx, tx, store.VisitFreshMarkSetParams{Day: pgDate(day), Seen: all.Upto})
}

// keepVisitRows brings an open day's visit rows up to upto, the mark the
// pass is moving its rollups to, in the pass's transaction: those of the
// visitors with new events, a chunk at a time, or, if they did not count
// the events of the day's last mark (current false: a pass by a build
// that did not keep them), the whole day's.
func (s *Service) keepVisitRows(ctx context.Context, tx pgx.Tx, day, start, end time.Time, visitors []int64, upto string,
	current bool) error {
	if current && len(visitors) == 0 {
		return nil
	}
	if err := store.Q.VisitRowsPassSettings(ctx, tx); err != nil {
		return fmt.Errorf("set up the visit rows: %w", err)
	}
	if !current {
		return buildVisitRows(ctx, tx, day, start, end, nil, &upto)
	}
	for chunk := range slices.Chunk(visitors, s.visitorChunk) {
		if err := buildVisitRows(ctx, tx, day, start, end, chunk, &upto); err != nil {
			return err
		}
	}
	return nil
}

// catchUpVisitRows brings up to their marks the visit rows of the open
// days whose visit rows fell behind (kept by a build from before they
// were, which moved the mark alone), new events or not, so that such a
// day is not counted from raw events until it closes.
func (s *Service) catchUpVisitRows(ctx context.Context) error {
	days, err := store.Q.VisitFreshMarksRowsBehind(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("list days whose visit rows are behind: %w", err)
	}
	for _, day := range days {
		if !s.dayOpen(day) {
			continue // closeDays recounts it whole
		}
		// Version 0 clears no dirty mark: new events are counted by the
		// pass for dirty days as ever.
		if _, err := s.rollupFresh(ctx, day, 0); err != nil {
			return err
		}
	}
	return nil
}

// lockMonth waits for the month's rollup lock (held until tx ends), so
// that no recount of the month runs between the day's change and its
// month's.
func (s *Service) lockMonth(ctx context.Context, tx pgx.Tx, day time.Time) error {
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := store.Q.VisitRollupLockMonth(ctx, tx, dayKey(month)); err != nil {
		return fmt.Errorf("lock the rollup of %s: %w", month.Format("2006-01"), err)
	}
	return nil
}

// visitorsPerStatement bounds the visitors one statement recounts, so that
// a pass catching up with a backlog (after a restart, or a burst) stays
// within the statement timeout; the chunks share the pass's transaction.
// (Service.visitorChunk, which tests lower.)
const visitorsPerStatement = 5000

// applyDelta adds the delta of arg's visitors to the rollups, a chunk of
// them at a time.
func (s *Service) applyDelta(ctx context.Context, tx pgx.Tx, arg store.VisitFreshApplyParams) error {
	all := arg.Visitors
	for len(all) > 0 {
		n := min(len(all), s.visitorChunk)
		arg.Visitors, all = all[:n], all[n:]
		if err := s.applyChunk(ctx, tx, arg); err != nil {
			return err
		}
	}
	return nil
}

// applyChunk adds a delta to the rollups and deletes the rows it leaves
// at zero, which a full recount would not have written.
func (s *Service) applyChunk(ctx context.Context, tx pgx.Tx, arg store.VisitFreshApplyParams) error {
	zeros, err := store.Q.VisitFreshApply(ctx, tx, arg)
	if err != nil {
		return fmt.Errorf("apply the new events: %w", err)
	}
	var daily, monthly store.VisitFreshDailyZeroDeleteParams
	var hours []time.Time
	for _, z := range zeros {
		switch z.Kind {
		case "daily":
			daily.Dimensions, daily.Vals = append(daily.Dimensions, z.Dimension), append(daily.Vals, z.Value)
		case "monthly":
			monthly.Dimensions, monthly.Vals = append(monthly.Dimensions, z.Dimension), append(monthly.Vals, z.Value)
		case "hourly":
			hours = append(hours, z.Hour)
		}
	}
	if len(daily.Dimensions) > 0 {
		daily.Day = arg.Day
		if err := store.Q.VisitFreshDailyZeroDelete(ctx, tx, daily); err != nil {
			return fmt.Errorf("delete empty daily rows: %w", err)
		}
	}
	if len(monthly.Dimensions) > 0 {
		if err := store.Q.VisitFreshMonthlyZeroDelete(ctx, tx, store.VisitFreshMonthlyZeroDeleteParams{
			Day: arg.Day, Dimensions: monthly.Dimensions, Vals: monthly.Vals}); err != nil {
			return fmt.Errorf("delete empty monthly rows: %w", err)
		}
	}
	if len(hours) > 0 {
		if err := store.Q.VisitFreshHourlyZeroDelete(ctx, tx, hours); err != nil {
			return fmt.Errorf("delete empty hourly rows: %w", err)
		}
	}
	return nil
}

// closeDays gives each day still counted incrementally that no event can
// reach any more its final full recount, which drops its mark.
func (s *Service) closeDays(ctx context.Context) (int, error) {
	today := localDate(s.now().Add(-dayOpenFor), s.settings.TimeZone)
	days, err := store.Q.VisitFreshMarksBefore(ctx, s.pool, pgDate(today))
	if err != nil {
		return 0, fmt.Errorf("list days to close: %w", err)
	}
	closed := 0
	for _, day := range days {
		if s.dayOpen(day) {
			continue
		}
		done, err := s.rollupDay(ctx, day, 0)
		if err != nil {
			return closed, err
		}
		if done {
			closed++
			if err := s.rollupMonth(ctx, time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)); err != nil {
				return closed, err
			}
		}
	}
	return closed, nil
}
