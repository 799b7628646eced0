package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// RollupReport says what a rollup pass did.
type RollupReport struct {
	Days, Months int
}

// Rollup brings every day with new raw events up to date, and returns how
// many days and months it did: a day events may still reach
// incrementally (rollupFresh), any other by recounting it and then its
// month, as each day is when it closes. Days another process is rolling
// up are left for the next pass; a day written to while it was being
// rolled up stays dirty and is done again next time.
func (s *Service) Rollup(ctx context.Context) (RollupReport, error) {
	var report RollupReport
	closed, err := s.closeDays(ctx)
	report.Days += closed
	if err != nil {
		return report, err
	}
	if err := s.catchUpVisitRows(ctx); err != nil {
		return report, err
	}
	for {
		dirty, err := store.Q.VisitRollupDirtyList(ctx, s.pool, 100)
		if err != nil {
			return report, fmt.Errorf("list dirty days: %w", err)
		}
		months := map[time.Time]bool{}
		progress := false
		for _, d := range dirty {
			exists, err := store.Q.VisitPartitionExists(ctx, s.pool, "visit_events_"+d.Day.Format("2006_01"))
			if err != nil {
				return report, fmt.Errorf("check partition: %w", err)
			}
			if !exists {
				// The month's raw events were dropped: its rollups are
				// final, and recounting nothing would erase them.
				if _, err := store.Q.VisitRollupDirtyClear(ctx, s.pool, store.VisitRollupDirtyClearParams(d)); err != nil {
					return report, fmt.Errorf("clear expired dirty day: %w", err)
				}
				progress = true
				continue
			}
			recount := !s.dayOpen(d.Day)
			rollup := s.rollupDay
			if !recount {
				rollup = s.rollupFresh // its month too
			}
			done, err := rollup(ctx, d.Day, d.Version)
			if err != nil {
				return report, err
			}
			if done {
				progress = true
				report.Days++
				if recount {
					months[time.Date(d.Day.Year(), d.Day.Month(), 1, 0, 0, 0, 0, time.UTC)] = true
				}
			}
		}
		for m := range months {
			if err := s.rollupMonth(ctx, m); err != nil {
				return report, err
			}
			report.Months++
		}
		if len(dirty) < 100 || !progress {
			return report, nil
		}
	}
}

// rollupDay recounts one day and reports whether it did (false if another
// process holds it).
func (s *Service) rollupDay(ctx context.Context, day time.Time, version int64) (bool, error) {
	start, end := dayBounds(day, s.settings.TimeZone)
	locked := false
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		locked, err = store.Q.VisitRollupLockDay(ctx, tx, dayKey(day))
		if err != nil || !locked {
			return err
		}
		if err := store.Q.VisitRollupDeleteDay(ctx, tx, pgDate(day)); err != nil {
			return fmt.Errorf("delete the rollups of %s: %w", day.Format(time.DateOnly), err)
		}
		if err := store.Q.VisitRollupDeleteHours(ctx, tx, store.VisitRollupDeleteHoursParams{DayStart: start, DayEnd: end}); err != nil {
			return fmt.Errorf("delete the hourly rollups of %s: %w", day.Format(time.DateOnly), err)
		}
		if _, err = store.Q.VisitRollupDay(ctx, tx, store.VisitRollupDayParams{Day: pgDate(day), DayStart: start, DayEnd: end}); err != nil {
			return err
		}
		if err := compactVisitRows(ctx, tx, day, start, end, version); err != nil {
			return err
		}
		return store.Q.VisitFreshMarkDelete(ctx, tx, pgDate(day)) // counted whole: no longer incrementally
	})
	if err != nil {
		return false, fmt.Errorf("roll up %s: %w", day.Format(time.DateOnly), err)
	}
	if !locked {
		return false, nil
	}
	if _, err := store.Q.VisitRollupDirtyClear(ctx, s.pool, store.VisitRollupDirtyClearParams{Day: pgDate(day), Version: version}); err != nil {
		return true, fmt.Errorf("clear dirty day: %w", err)
	}
	return true, nil
}

// rollupMonth recomputes a month's sums from its days.
func (s *Service) rollupMonth(ctx context.Context, month time.Time) error {
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := store.Q.VisitRollupLockMonth(ctx, tx, dayKey(month)); err != nil {
			return fmt.Errorf("lock the rollup of %s: %w", month.Format("2006-01"), err)
		}
		if err := store.Q.VisitRollupDeleteMonth(ctx, tx, pgDate(month)); err != nil {
			return fmt.Errorf("delete the rollup of %s: %w", month.Format("2006-01"), err)
		}
		_, err := store.Q.VisitRollupMonth(ctx, tx, store.VisitRollupMonthParams{Month: pgDate(month), MonthEnd: pgDate(month.AddDate(0, 1, 0))})
		return err
	})
	if err != nil {
		return fmt.Errorf("roll up month %s: %w", month.Format("2006-01"), err)
	}
	return nil
}

// dayKey numbers days for the per-day advisory lock.
func dayKey(day time.Time) int32 {
	return int32(day.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}
