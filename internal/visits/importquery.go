package visits

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// includesImports reports whether a query's figures can take imported
// history in: imports are daily figures per dimension, so not by the hour,
// not for dimensions counted from raw events, and not when a filter keeps
// whole visits (imports hold no visits to filter).
func (q Query) includesImports(timeDim, valueDim string) bool {
	return q.Imports && timeDim != "time:hour" && !rawOnly(valueDim) && !q.crossFiltered(valueDim)
}

// importedStart moves the start of the "all" preset back to the first
// imported day when imports are included.
func (s *Service) importedStart(ctx context.Context, q Query, from time.Time) (time.Time, error) {
	if !q.Imports || q.Range.Preset != "all" {
		return from, nil
	}
	first, err := store.Q.VisitImportedFirstDay(ctx, s.reads)
	if err != nil {
		return from, fmt.Errorf("first imported day: %w", err)
	}
	if first.Before(from) {
		return first, nil
	}
	return from, nil
}

// withImports adds the imported figures of a range to rows grouped from
// the rollups, matching rows by their dimension values.
func (s *Service) withImports(ctx context.Context, q Query, timeDim, valueDim string, from, to time.Time, rows []keyed) ([]keyed, error) {
	if !q.includesImports(timeDim, valueDim) {
		return rows, nil
	}
	only := q.onlyValues(valueDim)
	got, err := store.Q.VisitImportedDays(ctx, s.reads, store.VisitImportedDaysParams{
		Dimension: valueDim, DayFrom: pgDate(from), DayTo: pgDate(to.AddDate(0, 0, 1)), OnlyValues: only,
	})
	if err != nil {
		return nil, fmt.Errorf("read imported figures: %w", err)
	}
	if len(got) == 0 {
		return rows, nil
	}
	days := make([]dayFigures, len(got))
	for i, g := range got {
		days[i] = dayFigures{g.Day, g.Value, sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}}
	}
	plain := q
	plain.FillTime = false
	index := make(map[string]int, len(rows))
	for i, r := range rows {
		index[strings.Join(r.dims, "\x00")] = i
	}
	for _, r := range plain.groupDays(days, timeDim, valueDim, from, to) {
		if i, ok := index[strings.Join(r.dims, "\x00")]; ok {
			rows[i].sums.add(r.sums)
			continue
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// importedCounted is what imports add to the public counter (see
// VisitImportedCounted).
func (s *Service) importedCounted(ctx context.Context) (int64, error) {
	n, err := store.Q.VisitImportedCounted(ctx, s.pool)
	if err != nil {
		return 0, fmt.Errorf("imported visits for the counter: %w", err)
	}
	return n, nil
}
