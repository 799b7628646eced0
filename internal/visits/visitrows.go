package visits

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Visit rows are the compact form of a day's raw events, a row per visit
// (db/migrations/00300_visit_rows.sql), rebuilt with the day's rollups:
// whole when a day is recounted, and on an open day for the visitors each
// incremental pass recounts (keepVisitRows). Queries the rollups cannot
// answer (filters on a dimension other than the one grouped by, goals,
// properties, screen sizes, funnels) read them for the closed days
// compacted since their last event and the open days whose visit rows
// count the events of their mark, and raw events for the rest (days with
// new events), so every figure stays exact.

// fastComparisons is the most comparisons, and clauses, a filter may hold
// for visits to be kept by comparing arrays (each comparison made once per
// value the dimension takes); more are compared visit by visit.
const fastComparisons = 4

// compactVisitRows rebuilds a day's visit rows from its raw events, in the
// transaction that rolls the day up (version is its dirty version), so
// they are as current as its rollups.
func compactVisitRows(ctx context.Context, tx pgx.Tx, day, start, end time.Time, version int64) error {
	if err := buildVisitRows(ctx, tx, day, start, end, nil, nil); err != nil {
		return err
	}
	if _, err := store.Q.VisitRowsDayDone(ctx, tx, store.VisitRowsDayDoneParams{Day: pgDate(day), Version: version}); err != nil {
		return fmt.Errorf("mark %s compacted: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

// buildVisitRows rebuilds visit rows of a day from its raw events in tx:
// the given visitors' (all the day's if nil), from the events visible in
// the snapshot upto (all if nil). A visitor's visits depend on their own
// events alone, so rebuilding those of the visitors with new events keeps
// the day's visit rows exact.
func buildVisitRows(ctx context.Context, tx pgx.Tx, day, start, end time.Time, visitors []int64, upto *string) error {
	if err := store.Q.VisitRowsDeleteDay(ctx, tx, store.VisitRowsDeleteDayParams{Day: pgDate(day), Visitors: visitors}); err != nil {
		return fmt.Errorf("delete the visit rows of %s: %w", day.Format(time.DateOnly), err)
	}
	if _, err := store.Q.VisitRowsCompactDay(ctx, tx, store.VisitRowsCompactDayParams{Day: pgDate(day), DayStart: start, DayEnd: end,
		Visitors: visitors, Upto: upto}); err != nil {
		return fmt.Errorf("build the visit rows of %s: %w", day.Format(time.DateOnly), err)
	}
	if _, err := store.Q.VisitRowsValuesDay(ctx, tx, store.VisitRowsValuesDayParams{Day: pgDate(day), Visitors: visitors}); err != nil {
		return fmt.Errorf("list the values of %s: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

// expireVisitRows deletes the visit rows of days whose raw events are no
// longer kept: they hold as much about a visit as the raw events did.
func (s *Service) expireVisitRows(ctx context.Context) error {
	cutoff := s.today().AddDate(0, 0, -s.settings.RawRetentionDays)
	if _, err := store.Q.VisitRowsDeleteBefore(ctx, s.pool, pgDate(cutoff)); err != nil {
		return fmt.Errorf("delete expired visit rows: %w", err)
	}
	return nil
}

// countFiltered counts a query's figures per day and value, filters
// applied: the days compacted since their last event from visit rows, the
// others (in runs of consecutive days) from raw events.
func (s *Service) countFiltered(ctx context.Context, q Query, valueDim string, from, to time.Time) ([]dayFigures, error) {
	clauses := q.visitClauses(valueDim)
	if s.rawFilters {
		return s.rawFilteredDays(ctx, q, valueDim, clauses, from, to)
	}
	end := to.AddDate(0, 0, 1)
	compacted, err := store.Q.VisitRowsCompactedDays(ctx, s.reads, store.VisitRowsCompactedDaysParams{DayFrom: pgDate(from), DayTo: pgDate(end)})
	if err != nil {
		return nil, fmt.Errorf("list compacted days: %w", err)
	}
	if len(compacted) == 0 {
		return s.rawFilteredDays(ctx, q, valueDim, clauses, from, to)
	}
	isCompacted := make(map[string]bool, len(compacted))
	for _, d := range compacted {
		isCompacted[d.Format(time.DateOnly)] = true
	}
	var days []dayFigures
	rawDays := []time.Time{}
	runStart := time.Time{}
	for d := from; !d.After(end); d = d.AddDate(0, 0, 1) {
		if d.Before(end) && !isCompacted[d.Format(time.DateOnly)] {
			rawDays = append(rawDays, d)
			if runStart.IsZero() {
				runStart = d
			}
			continue
		}
		if !runStart.IsZero() {
			got, err := s.rawFilteredDays(ctx, q, valueDim, clauses, runStart, d.AddDate(0, 0, -1))
			if err != nil {
				return nil, err
			}
			days = append(days, got...)
			runStart = time.Time{}
		}
	}
	got, err := s.visitRowDays(ctx, q, valueDim, clauses, from, end, rawDays)
	if err != nil {
		return nil, err
	}
	return append(days, got...), nil
}

// visitRowDays counts the figures of the days of [from, end) but rawDays
// from their visit rows.
func (s *Service) visitRowDays(ctx context.Context, q Query, valueDim string, clauses [][]leaf, from, end time.Time, rawDays []time.Time) ([]dayFigures, error) {
	p := store.VisitRowsQueryParams{DayFrom: pgDate(from), DayTo: pgDate(end), RawDays: rawDays, Dimension: valueDim,
		Goals: goalsJSON(q.goals), Filters: []byte("[]"), M1: []string{}, M2: []string{}, M3: []string{}, M4: []string{}}
	comparisons := 0
	for _, c := range clauses {
		comparisons += len(c)
	}
	p.Fast = comparisons <= fastComparisons && len(clauses) <= fastComparisons
	var err error
	if !p.Fast {
		if p.Filters, err = json.Marshal(clauses); err != nil {
			return nil, err
		}
	}
	var got []store.VisitRowsQueryRow
	err = store.WithTx(ctx, s.reads, func(tx pgx.Tx) error {
		if err := store.Q.VisitRowsSettings(ctx, tx); err != nil {
			return err
		}
		if p.Fast {
			if err := matchComparisons(ctx, tx, &p, clauses); err != nil {
				return err
			}
		}
		var err error
		got, err = store.Q.VisitRowsQuery(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count filtered visit rows: %w", err)
	}
	days := make([]dayFigures, len(got))
	for i, g := range got {
		days[i] = dayFigures{g.Day, g.Value, sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}}
	}
	return days, nil
}

// matchComparisons fills the fast path's slots: each comparison's
// dimension, the values it matches in the days counted, and the clause it
// belongs to.
func matchComparisons(ctx context.Context, tx pgx.Tx, p *store.VisitRowsQueryParams, clauses [][]leaf) error {
	slot := 0
	for i, c := range clauses {
		for _, l := range c {
			matched, err := store.Q.VisitRowValuesMatch(ctx, tx, store.VisitRowValuesMatchParams{DayFrom: p.DayFrom, DayTo: p.DayTo,
				RawDays: p.RawDays, Dimension: l.Dimension, Values: l.Values, Operator: l.Operator, IgnoreCase: l.IgnoreCase})
			if err != nil {
				return fmt.Errorf("match %s: %w", l.Dimension, err)
			}
			setComparison(p, slot, l, matched)
			*clauseMask(p, i) |= 1 << slot
			slot++
		}
	}
	return nil
}

// setComparison puts a comparison in the fast path's slot (0 to 3): its
// dimension, the values it matches and whether it is negated.
func setComparison(p *store.VisitRowsQueryParams, slot int, l leaf, matched []string) {
	switch slot {
	case 0:
		p.D1, p.M1, p.N1 = l.Dimension, matched, l.Negate
	case 1:
		p.D2, p.M2, p.N2 = l.Dimension, matched, l.Negate
	case 2:
		p.D3, p.M3, p.N3 = l.Dimension, matched, l.Negate
	default:
		p.D4, p.M4, p.N4 = l.Dimension, matched, l.Negate
	}
}

// clauseMask is the fast path's clause i (0 to 3): a bit per comparison.
func clauseMask(p *store.VisitRowsQueryParams, i int) *int32 {
	switch i {
	case 0:
		return &p.C1
	case 1:
		return &p.C2
	case 2:
		return &p.C3
	default:
		return &p.C4
	}
}
