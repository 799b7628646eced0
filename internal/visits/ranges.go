package visits

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Date range presets, relative to today in the site's time zone.
var Presets = []string{"day", "7d", "30d", "month", "12mo", "year", "all"}

// Bounds on explicit date ranges.
var (
	earliestDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxRangeDays = 366 * 10
)

// DateRange is a preset or explicit inclusive dates (midnight UTC values
// naming site-local calendar dates).
type DateRange struct {
	Preset   string
	From, To time.Time
	// Location names the input field in errors, such as body.date_range.
	Location string
}

// Resolve turns a range into inclusive first and last dates.
func (s *Service) Resolve(ctx context.Context, r DateRange) (from, to time.Time, err error) {
	today := s.today()
	switch r.Preset {
	case "day":
		return today, today, nil
	case "7d":
		return today.AddDate(0, 0, -6), today, nil
	case "30d":
		return today.AddDate(0, 0, -29), today, nil
	case "month":
		return time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC), today, nil
	case "12mo":
		return time.Date(today.Year(), today.Month()-11, 1, 0, 0, 0, 0, time.UTC), today, nil
	case "year":
		return time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC), today, nil
	case "all":
		first, err := store.Q.VisitFirstDay(ctx, s.reads)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("first day: %w", err)
		}
		if first.After(today) { // no data yet
			return today, today, nil
		}
		return first, today, nil
	case "":
	default:
		return time.Time{}, time.Time{}, hpa.Invalid(r.Location, fmt.Sprintf("unknown preset %q; use one of day, 7d, 30d, month, 12mo, year, all or two dates", r.Preset))
	}
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return time.Time{}, time.Time{}, hpa.Invalid(r.Location, "give a preset or both the first and the last date")
	case r.To.Before(r.From):
		return time.Time{}, time.Time{}, hpa.Invalid(r.Location, "the last date is before the first")
	case r.From.Before(earliestDate) || r.To.After(today.AddDate(1, 0, 0)):
		return time.Time{}, time.Time{}, hpa.Invalid(r.Location, "dates must be from 2000-01-01 to a year from today")
	case r.To.Sub(r.From) > time.Duration(maxRangeDays)*24*time.Hour:
		return time.Time{}, time.Time{}, hpa.Invalid(r.Location, "a range may span at most ten years")
	}
	return r.From, r.To, nil
}

// Comparisons name the periods a query can be compared with.
var Comparisons = []string{"previous_period", "year_over_year", "custom"}

// comparedRange is the period q compares from..to with.
func (s *Service) comparedRange(ctx context.Context, q Query, from, to time.Time) (time.Time, time.Time, error) {
	switch q.Comparison {
	case "previous_period":
		f, t := previousPeriod(from, to)
		return f, t, nil
	case "year_over_year":
		return from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0), nil
	case "custom":
		if q.CompareRange.Preset == "" && q.CompareRange.From.IsZero() {
			return time.Time{}, time.Time{}, hpa.Invalid(q.CompareRange.Location, "a custom comparison needs its dates")
		}
		return s.Resolve(ctx, q.CompareRange)
	}
	return time.Time{}, time.Time{}, hpa.Invalid(q.At+"comparison", "use one of previous_period, year_over_year, custom")
}

// previousPeriod is the range of the same length just before from..to.
func previousPeriod(from, to time.Time) (time.Time, time.Time) {
	days := int(to.Sub(from).Hours()/24) + 1
	return from.AddDate(0, 0, -days), from.AddDate(0, 0, -1)
}

// split divides the dates [from, end) into leading days, whole months and
// trailing days, so sums read monthly rollups wherever they can.
func split(from, end time.Time) store.VisitRollupSumsParams {
	firstMonth := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !firstMonth.Equal(from) {
		firstMonth = firstMonth.AddDate(0, 1, 0)
	}
	endMonth := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !endMonth.After(firstMonth) {
		// No whole month inside: all days.
		return store.VisitRollupSumsParams{
			MonthFrom: pgDate(from), MonthTo: pgDate(from), HeadFrom: pgDate(from), HeadTo: pgDate(end),
			TailFrom: pgDate(end), TailTo: pgDate(end),
		}
	}
	return store.VisitRollupSumsParams{
		MonthFrom: pgDate(firstMonth), MonthTo: pgDate(endMonth),
		HeadFrom: pgDate(from), HeadTo: pgDate(firstMonth),
		TailFrom: pgDate(endMonth), TailTo: pgDate(end),
	}
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}
