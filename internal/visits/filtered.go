package visits

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// defaultRawQueryTimeout bounds a query counted from raw events, below the
// database's statement timeout, so a range too long for it gets a clear
// answer.
const defaultRawQueryTimeout = 20 * time.Second

// crossFiltered reports whether q filters on a dimension other than the
// one it groups by: the rollups hold each dimension on its own, so such a
// query is counted from raw events.
func (q Query) crossFiltered(valueDim string) bool {
	if rawOnly(valueDim) {
		return true
	}
	for _, f := range q.Filters {
		if valueDim == "" || !f.only(valueDim) {
			return true
		}
	}
	return false
}

// visitClauses are the filters that keep whole visits (those not only on
// the dimension grouped by), in conjunctive normal form.
func (q Query) visitClauses(valueDim string) [][]leaf {
	clauses := [][]leaf{}
	for _, f := range q.Filters {
		if valueDim == "" || !f.only(valueDim) {
			clauses = append(clauses, f.clauses(false)...)
		}
	}
	return clauses
}

// checkRawRange refuses a cross-filtered query reaching back before the
// raw events kept (HPA_VISITS_RAW_RETENTION_DAYS).
func (s *Service) checkRawRange(q Query, from time.Time) error {
	oldest := s.today().AddDate(0, 0, -s.settings.RawRetentionDays)
	if from.Before(oldest) {
		return hpa.Invalid(q.At+"date_range", fmt.Sprintf("filters on a dimension the query does not group by need raw events, kept from %s; start the range then or later", oldest.Format(time.DateOnly))).
			WithReason(ReasonRangeBeyondRawEvents)
	}
	return nil
}

// filteredGroups counts a cross-filtered query's figures a day and value
// at a time (countFiltered), then groups them as the rollup path does.
func (s *Service) filteredGroups(ctx context.Context, q Query, timeDim, valueDim string, from, to time.Time) ([]keyed, error) {
	counting, cancel := context.WithTimeout(ctx, s.rawQueryTimeout)
	defer cancel()
	days, err := s.countFiltered(counting, q, valueDim, from, to)
	if store.IsQueryCanceled(err) && ctx.Err() == nil {
		return nil, hpa.Invalid(q.At+"date_range", "counting these filters over this range from raw events took too long; "+
			"shorten the range, or filter on the dimension the query groups by (answered from rollups)").WithReason(ReasonFilteredRangeTooLong)
	}
	if err != nil {
		return nil, err
	}
	return q.filter(q.groupDays(days, timeDim, valueDim, from, to), valueDim, timeDim != ""), nil
}

// rawFilteredDays counts the figures of the days from to to (dates) from
// raw events: the reference the visit rows must agree with.
func (s *Service) rawFilteredDays(ctx context.Context, q Query, valueDim string, clauses [][]leaf, from, to time.Time) ([]dayFigures, error) {
	encoded, err := json.Marshal(clauses)
	if err != nil {
		return nil, err
	}
	start, _ := dayBounds(from, s.settings.TimeZone)
	_, stop := dayBounds(to, s.settings.TimeZone)
	got, err := store.Q.VisitQueryFiltered(ctx, s.reads, store.VisitQueryFilteredParams{RangeStart: start, RangeEnd: stop,
		TimeZone: s.settings.TimeZone.String(), Dimension: valueDim, Filters: encoded, Goals: goalsJSON(q.goals)})
	if err != nil {
		return nil, fmt.Errorf("count filtered events: %w", err)
	}
	days := make([]dayFigures, len(got))
	for i, g := range got {
		days[i] = dayFigures{g.Day, g.Value, sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}}
	}
	return days, nil
}
