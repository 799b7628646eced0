package visits

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Metrics a query can ask for.
var Metrics = []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"}

// Dimensions a query can group by: one of these plus, optionally, one
// time dimension.
var Dimensions = []string{"page", "entry_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign",
	"utm_content", "utm_term", "country", "device", "browser", "os", "event_name"}

// RawDimensions are counted from raw events only (not in the rollups):
// goals and the screen size class; so are custom properties,
// event:props:NAME.
var RawDimensions = []string{GoalDimension, "screen_size"}

// propDimension names a custom property: the prop key after the prefix.
var propDimension = regexp.MustCompile(`^event:props:[A-Za-z0-9_.:-]{1,40}$`)

// isValueDimension reports whether d is a dimension other than time.
func isValueDimension(d string) bool {
	return slices.Contains(Dimensions, d) || slices.Contains(RawDimensions, d) || propDimension.MatchString(d)
}

// rawOnly reports whether d is counted from raw events only.
func rawOnly(d string) bool { return slices.Contains(RawDimensions, d) || propDimension.MatchString(d) }

// TimeDimensions group by period.
var TimeDimensions = []string{"time:hour", "time:day", "time:week", "time:month"}

// Order sorts results by a metric or dimension.
type Order struct {
	Field string
	Desc  bool
}

// Query asks for metrics over a date range, grouped by dimensions.
type Query struct {
	Metrics    []string
	Range      DateRange
	Dimensions []string
	Filters    []Filter
	OrderBy    []Order
	Limit      int
	Offset     int
	// Comparison adds another period's figures, matched row by row (time
	// buckets by position): previous_period (the same length just
	// before), year_over_year (the same dates a year earlier) or custom
	// (CompareRange); "" for none.
	Comparison   string
	CompareRange DateRange
	// FillTime adds empty rows for periods without visits (only when the
	// sole dimension is a time dimension).
	FillTime bool
	// At prefixes error locations ("body." or "query.").
	At string
	// goals are the site's goals, loaded when the query uses them.
	goals []Goal
	// TimeAt names the time dimension's parameter in errors when it is
	// not in a dimensions list (query.interval); default At+"dimensions".
	TimeAt string
	// Imports adds imported history (see includesImports for where it can).
	Imports bool
}

// maxHourRangeDays is the longest range time:hour may cover.
const maxHourRangeDays = 31

// Row is one result: its dimension values and the metrics in the order
// asked, with the previous period's when comparing.
type Row struct {
	Dimensions []string
	Metrics    []float64
	Comparison []float64
	// CompareDimensions are the compared row's dimension values: the same
	// as Dimensions but for the time bucket, which is the compared
	// period's (nil where that period has no such bucket).
	CompareDimensions []string
	// Change is the percentage change per metric (nil where the previous
	// value was zero); for bounce_rate it is the difference in points.
	Change []*float64
}

// Result is a query's answer.
type Result struct {
	Rows                   []Row
	TotalRows              int
	From, To               time.Time
	CompareFrom, CompareTo time.Time
	// ImportsIncluded says imported history is in the figures: asked for,
	// and possible for the query.
	ImportsIncluded bool
}

// sums are additive rollup figures.
type sums struct {
	visitors, visits, pageviews, events, bounces, duration int64
	// base is the visitors conversion_rate is a share of.
	base int64
}

func (a *sums) add(b sums) {
	a.visitors += b.visitors
	a.visits += b.visits
	a.pageviews += b.pageviews
	a.events += b.events
	a.bounces += b.bounces
	a.duration += b.duration
	a.base += b.base
}

func (a sums) metric(name string) float64 {
	ratio := func(n, d int64) float64 {
		if d == 0 {
			return 0
		}
		return float64(n) / float64(d)
	}
	switch name {
	case "visitors":
		return float64(a.visitors)
	case "visits":
		return float64(a.visits)
	case "pageviews":
		return float64(a.pageviews)
	case "events":
		return float64(a.events)
	case "views_per_visit":
		return math.Round(ratio(a.pageviews, a.visits)*100) / 100
	case "bounce_rate":
		return math.Round(ratio(a.bounces, a.visits)*1000) / 10
	case "visit_duration":
		return math.Round(ratio(a.duration, a.visits))
	case ConversionRate:
		return math.Round(ratio(a.visitors, a.base)*1000) / 10
	}
	return 0
}

// keyed is a grouped row before metrics are computed.
type keyed struct {
	dims []string
	// bucket orders time buckets (and matches them across periods).
	bucket int
	sums   sums
}

// Query answers q from the rollups, or from raw events when it filters on
// a dimension it does not group by.
func (s *Service) Query(ctx context.Context, q Query) (*Result, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	from, to, err := s.Resolve(ctx, q.Range)
	if err != nil {
		return nil, err
	}
	if from, err = s.importedStart(ctx, q, from); err != nil {
		return nil, err
	}
	timeDim, valueDim := splitDimensions(q.Dimensions)
	if q.usesGoals() {
		if timeDim == "time:hour" {
			return nil, hpa.Invalid(q.At+"dimensions", "goals cannot be counted by the hour; use time:day").WithReason(ReasonTooManyDimensions)
		}
		if q.goals, err = s.Goals(ctx); err != nil {
			return nil, err
		}
		if err := q.expandGoals(q.goals, valueDim); err != nil {
			return nil, err
		}
	}
	if timeDim == "time:hour" && int(to.Sub(from).Hours()/24)+1 > maxHourRangeDays {
		at := q.TimeAt
		if at == "" {
			at = q.At + "dimensions"
		}
		return nil, hpa.Invalid(at, fmt.Sprintf("hours need a range of at most %d days", maxHourRangeDays))
	}
	res := &Result{From: from, To: to, ImportsIncluded: q.includesImports(timeDim, valueDim)}
	if q.Comparison != "" {
		if res.CompareFrom, res.CompareTo, err = s.comparedRange(ctx, q, from, to); err != nil {
			return nil, err
		}
	}
	if q.crossFiltered(valueDim) {
		earliest := from
		if q.Comparison != "" && res.CompareFrom.Before(from) {
			earliest = res.CompareFrom
		}
		if err := s.checkRawRange(q, earliest); err != nil {
			return nil, err
		}
	}
	rows, err := s.figures(ctx, q, timeDim, valueDim, from, to)
	if err != nil {
		return nil, err
	}
	var previous map[string]keyed
	if q.Comparison != "" {
		prev, err := s.figures(ctx, q, timeDim, valueDim, res.CompareFrom, res.CompareTo)
		if err != nil {
			return nil, err
		}
		previous = make(map[string]keyed, len(prev))
		for _, r := range prev {
			previous[compareKey(r, timeDim)] = r
		}
	}
	q.sort(rows, timeDim != "")
	res.TotalRows = len(rows)
	end := min(len(rows), q.Offset+q.Limit)
	if q.Offset >= len(rows) {
		rows = nil
	} else {
		rows = rows[q.Offset:end]
	}
	res.Rows = make([]Row, len(rows))
	for i, r := range rows {
		out := Row{Dimensions: r.dims, Metrics: make([]float64, len(q.Metrics))}
		for j, m := range q.Metrics {
			out.Metrics[j] = r.sums.metric(m)
		}
		if q.Comparison != "" {
			p := previous[compareKey(r, timeDim)]
			out.CompareDimensions = p.dims
			out.Comparison = make([]float64, len(q.Metrics))
			out.Change = make([]*float64, len(q.Metrics))
			for j, m := range q.Metrics {
				out.Comparison[j] = p.sums.metric(m)
				out.Change[j] = change(m, out.Metrics[j], out.Comparison[j])
			}
		}
		res.Rows[i] = out
	}
	return res, nil
}

func change(metric string, now, before float64) *float64 {
	if metric == "bounce_rate" || metric == ConversionRate {
		d := math.Round((now-before)*10) / 10
		return &d
	}
	if before == 0 {
		return nil
	}
	c := math.Round((now-before)/before*1000) / 10
	return &c
}

// compareKey matches a row with its counterpart in the previous period:
// same dimension values, time buckets matched by position.
func compareKey(r keyed, timeDim string) string {
	dims := r.dims
	if timeDim != "" {
		dims = append([]string{strconv.Itoa(r.bucket)}, dims[1:]...)
	}
	return strings.Join(dims, "\x00")
}

func splitDimensions(dims []string) (timeDim, valueDim string) {
	for _, d := range dims {
		if strings.HasPrefix(d, "time:") {
			timeDim = d
		} else {
			valueDim = d
		}
	}
	return timeDim, valueDim
}

// figures are the grouped figures of one range, with the base of
// conversion_rate when asked: the visitors of the same group counted
// without the goal filters (for a goal breakdown, all visitors in the
// time bucket).
func (s *Service) figures(ctx context.Context, q Query, timeDim, valueDim string, from, to time.Time) ([]keyed, error) {
	rows, err := s.groups(ctx, q, timeDim, valueDim, from, to)
	if err != nil || !slices.Contains(q.Metrics, ConversionRate) {
		return rows, err
	}
	base := q
	base.Filters = slices.DeleteFunc(slices.Clone(q.Filters), func(f Filter) bool { return f.goal || f.only(GoalDimension) })
	baseDim := valueDim
	if valueDim == GoalDimension {
		baseDim = ""
	}
	baseRows, err := s.groups(ctx, base, timeDim, baseDim, from, to)
	if err != nil {
		return nil, err
	}
	key := func(r keyed, dropValue bool) string {
		dims := r.dims
		if dropValue && len(dims) > 0 {
			dims = dims[:len(dims)-1]
		}
		return strconv.Itoa(r.bucket) + "\x00" + strings.Join(dims, "\x00")
	}
	visitors := make(map[string]int64, len(baseRows))
	for _, r := range baseRows {
		visitors[key(r, false)] = r.sums.visitors
	}
	for i := range rows {
		rows[i].sums.base = visitors[key(rows[i], valueDim == GoalDimension)]
	}
	return rows, nil
}

// groups reads the rollups for one range and groups them by the query's
// dimensions, filters applied. A query filtering on a dimension it does not
// group by is counted from raw events instead.
func (s *Service) groups(ctx context.Context, q Query, timeDim, valueDim string, from, to time.Time) ([]keyed, error) {
	if q.crossFiltered(valueDim) {
		return s.filteredGroups(ctx, q, timeDim, valueDim, from, to)
	}
	only := q.onlyValues(valueDim)
	end := to.AddDate(0, 0, 1)
	var rows []keyed
	switch timeDim {
	case "":
		p := split(from, end)
		p.Dimension, p.OnlyValues = valueDim, only
		got, err := store.Q.VisitRollupSums(ctx, s.reads, p)
		if err != nil {
			return nil, fmt.Errorf("read rollups: %w", err)
		}
		for _, g := range got {
			k := keyed{sums: sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}}
			if valueDim != "" {
				k.dims = []string{g.Value}
			} else {
				k.dims = []string{}
			}
			rows = append(rows, k)
		}
		if valueDim == "" && len(rows) == 0 {
			rows = append(rows, keyed{dims: []string{}})
		}
	case "time:hour":
		start, _ := dayBounds(from, s.settings.TimeZone)
		_, stop := dayBounds(to, s.settings.TimeZone)
		got, err := store.Q.VisitRollupHours(ctx, s.reads, store.VisitRollupHoursParams{HourFrom: start, HourTo: stop})
		if err != nil {
			return nil, fmt.Errorf("read hourly rollups: %w", err)
		}
		byHour := map[int64]sums{}
		for _, g := range got {
			byHour[g.Hour.Unix()] = sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}
		}
		for h, i := start, 0; h.Before(stop); h, i = h.Add(time.Hour), i+1 {
			if v, ok := byHour[h.Unix()]; ok || q.FillTime {
				rows = append(rows, keyed{dims: []string{h.In(s.settings.TimeZone).Format(time.RFC3339)}, bucket: i, sums: v})
			}
		}
	default:
		got, err := store.Q.VisitRollupDays(ctx, s.reads, store.VisitRollupDaysParams{
			Dimension: valueDim, DayFrom: pgDate(from), DayTo: pgDate(end), OnlyValues: only,
		})
		if err != nil {
			return nil, fmt.Errorf("read daily rollups: %w", err)
		}
		days := make([]dayFigures, len(got))
		for i, g := range got {
			days[i] = dayFigures{g.Day, g.Value, sums{g.Visitors, g.Visits, g.Pageviews, g.Events, g.Bounces, g.Duration, 0}}
		}
		rows = q.groupDays(days, timeDim, valueDim, from, to)
	}
	rows, err := s.withImports(ctx, q, timeDim, valueDim, from, to, rows)
	if err != nil {
		return nil, err
	}
	return q.filter(rows, valueDim, timeDim != ""), nil
}

// onlyValues lets the database skip values an "is" filter excludes.
func (q Query) onlyValues(dim string) []string {
	for _, f := range q.Filters {
		if f.Dimension == dim && f.Operator == "is" && (f.CaseSensitive == nil || *f.CaseSensitive) {
			return f.Values
		}
	}
	return []string{}
}

func (q Query) filter(rows []keyed, valueDim string, hasTime bool) []keyed {
	if len(q.Filters) == 0 {
		return rows
	}
	col := 0
	if hasTime {
		col = 1
	}
	return slices.DeleteFunc(rows, func(r keyed) bool {
		for _, f := range q.Filters {
			if valueDim != "" && f.only(valueDim) && !f.matches(r.dims[col]) {
				return true
			}
		}
		return false
	})
}

func (q Query) sort(rows []keyed, hasTime bool) {
	orders := q.OrderBy
	if len(orders) == 0 {
		if hasTime {
			orders = []Order{{Field: "time"}}
		} else {
			orders = []Order{{Field: q.Metrics[0], Desc: true}}
		}
	}
	slices.SortStableFunc(rows, func(a, b keyed) int {
		for _, o := range orders {
			var c int
			switch {
			case o.Field == "time" || strings.HasPrefix(o.Field, "time:"):
				c = cmp.Compare(a.bucket, b.bucket)
			case isValueDimension(o.Field):
				i := len(a.dims) - 1
				c = strings.Compare(a.dims[i], b.dims[i])
			default:
				c = cmp.Compare(a.sums.metric(o.Field), b.sums.metric(o.Field))
			}
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return slices.Compare(a.dims, b.dims)
	})
}

// validate checks the parts of a query that huma's schema cannot.
func (q *Query) validate() error {
	at := q.At
	if len(q.Metrics) == 0 {
		return hpa.Invalid(at+"metrics", "ask for at least one metric")
	}
	for i, m := range q.Metrics {
		if !slices.Contains(Metrics, m) && m != ConversionRate {
			return hpa.Invalid(fmt.Sprintf("%smetrics[%d]", at, i), "unknown metric; use one of "+strings.Join(Metrics, ", ")+", "+ConversionRate)
		}
		if slices.Index(q.Metrics, m) != i {
			return hpa.Invalid(fmt.Sprintf("%smetrics[%d]", at, i), "metric listed twice")
		}
	}
	var timeDims, valueDims int
	for i, d := range q.Dimensions {
		switch {
		case slices.Contains(TimeDimensions, d):
			timeDims++
		case isValueDimension(d):
			valueDims++
		default:
			return hpa.Invalid(fmt.Sprintf("%sdimensions[%d]", at, i), "unknown dimension; use one of "+strings.Join(slices.Concat(Dimensions, RawDimensions, TimeDimensions), ", ")+" or event:props:NAME")
		}
	}
	if timeDims > 1 || valueDims > 1 {
		return hpa.Invalid(at+"dimensions", "group by at most one time dimension and one other dimension").WithReason(ReasonTooManyDimensions)
	}
	timeDim, valueDim := splitDimensions(q.Dimensions)
	if timeDim == "time:hour" && valueDim != "" {
		return hpa.Invalid(at+"dimensions", "time:hour cannot be combined with another dimension; use time:day").WithReason(ReasonTooManyDimensions)
	}
	leaves := 0
	known := func(d string) bool { return isValueDimension(d) }
	for i, f := range q.Filters {
		loc := fmt.Sprintf("%sfilters[%d]", at, i)
		if err := checkFilter(f, loc, 0, &leaves, known, strings.Join(Dimensions, ", ")+", "+strings.Join(RawDimensions, ", ")+" or event:props:NAME"); err != nil {
			return err
		}
		if timeDim == "time:hour" && (valueDim == "" || !f.only(valueDim)) {
			return hpa.Invalid(loc+".dimension", "time:hour cannot be combined with filters; use time:day").WithReason(ReasonTooManyDimensions)
		}
	}
	if n := len(q.visitClauses(valueDim)); n > maxFilterClauses {
		return hpa.Invalid(at+"filters", fmt.Sprintf("the filters expand to %d alternatives to check; at most %d", n, maxFilterClauses)).WithReason(ReasonFilterTooComplex)
	}
	for i, o := range q.OrderBy {
		if !slices.Contains(q.Metrics, o.Field) && !slices.Contains(q.Dimensions, o.Field) {
			return hpa.Invalid(fmt.Sprintf("%sorder_by[%d].field", at, i), "order by a metric or dimension the query asks for")
		}
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Offset < 0 {
		return hpa.Invalid(at+"offset", "must not be negative")
	}
	return nil
}
