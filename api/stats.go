package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
)

// statsReader answers statistics queries; visits.Service is one.
type statsReader interface {
	Query(ctx context.Context, q visits.Query) (*visits.Result, error)
	Resolve(ctx context.Context, r visits.DateRange) (time.Time, time.Time, error)
	Realtime(ctx context.Context) (*visits.Realtime, error)
	Counter(ctx context.Context) (visits.Counter, error)
	Bots(ctx context.Context, from, to time.Time) (int64, error)
	Location() *time.Location
	PropertyKeys(ctx context.Context, r visits.DateRange) ([]string, error)
	goalKeeper
	funnelCounter
	funnelKeeper
	statsImporter
}

// statsAccess admits analysts (and admins) and scripts with a stats:read key.
var statsAccess = staffWith(identity.RoleAnalyst).orKey(identity.ScopeStatsRead)

type statsQueryInput struct {
	Accept string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
	// No uniqueItems on the lists: huma 2.37's check panics on an item
	// that is an object (huma#1042); Query refuses repeats itself.
	Body struct {
		Metrics    []string        `json:"metrics" minItems:"1" maxItems:"8" enum:"visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events,conversion_rate" doc:"What to count, each at most once. conversion_rate (the percentage of visitors who reached a goal) needs the goal dimension or a goal filter."`
		DateRange  dateRange       `json:"date_range" doc:"A preset (day, 7d, 30d, month, 12mo, year, all) or [first, last] dates, inclusive, in the site's time zone."`
		Dimensions []string        `json:"dimensions,omitempty" maxItems:"2" pattern:"^(page|entry_page|source|referrer|utm_source|utm_medium|utm_campaign|utm_content|utm_term|country|device|browser|os|event_name|goal|screen_size|time:(hour|day|week|month)|event:props:[A-Za-z0-9_.:-]{1,40})$" example:"[\"source\"]" doc:"Group by at most one of page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, device, browser, os, event_name, goal, screen_size or event:props:NAME, plus one time dimension: time:hour (only alone), time:day, time:week, time:month. goal (a row per goal reached, see /v1/stats/goals), screen_size (Mobile under 576 CSS pixels, Tablet under 992, Laptop under 1440, Desktop) and event:props:NAME (a custom property's values) are counted from raw events."`
		Filters    []statsFilter   `json:"filters,omitempty" maxItems:"10" doc:"A filter on the dimension the query groups by keeps the rows whose value matches. A filter on any other dimension keeps whole visits: those whose value matches (for page and event_name, those that include a matching page or event; with is_not and contains_not, those that include none); such queries are counted from raw events, so their range must lie within the raw events kept."`
		OrderBy    []statsOrder    `json:"order_by,omitempty" maxItems:"3" doc:"Default: by time for time dimensions, else the first metric, descending."`
		Pagination statsPagination `json:"pagination,omitzero" doc:"Which rows to return."`
		Include    statsInclude    `json:"include,omitzero" doc:"Extra figures."`
	}
}

type statsPagination struct {
	Limit  int    `json:"limit,omitempty" minimum:"1" maximum:"10000" default:"100"`
	Offset int    `json:"offset,omitempty" minimum:"0" maximum:"1000000" doc:"Rows to skip. Or send cursor, as every list takes."`
	Cursor string `json:"cursor,omitempty" maxLength:"512" doc:"Opaque cursor from the previous page's next_cursor (instead of offset)."`
}

type statsInclude struct {
	Comparison       string    `json:"comparison,omitempty" enum:"previous_period,year_over_year,custom" doc:"Add another period's figures, with each metric's change: previous_period (the same number of days just before), year_over_year (the same dates a year earlier) or custom (compare_date_range). Rows are matched by their dimension values; time buckets by position (the first with the first)."`
	CompareDateRange dateRange `json:"compare_date_range,omitzero" doc:"The period a custom comparison compares with: a preset or [first, last] dates."`
	Imports          bool      `json:"imports,omitempty" doc:"Add imported history (POST /v1/stats/imports) where it can be: not by the hour, not for goal, screen_size and event:props dimensions, not with filters that keep whole visits. meta.imports_included says whether it was."`
}

type statsFilter struct {
	Dimension     string        `json:"dimension,omitempty" maxLength:"80" example:"page" doc:"What to compare: page, entry_page, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, device, browser, os, event_name, screen_size, event:props:NAME (the visits with an event whose property matches), or goal (a goal's name, with is or is_not: the visits that reached it). Not for and, or, not."`
	Operator      string        `json:"operator" enum:"is,is_not,contains,contains_not,matches,does_not_match,and,or,not" doc:"A comparison, or and/or/not combining filters. matches and does_not_match take regular expressions of a safe subset: literals, ., [classes], \\d \\s \\w, ^ $, (groups), |, * + ? {n,m} (n, m ≤ 50), at most 200 bytes; no back-references, look-arounds or flags."`
	Values        []string      `json:"values,omitempty" maxItems:"50" doc:"The comparison holds if any value matches (is, contains, matches) or none does (is_not, contains_not, does_not_match)."`
	CaseSensitive *bool         `json:"case_sensitive,omitempty" doc:"Whether case matters. Default: true for is, is_not, matches, does_not_match; false for contains, contains_not."`
	Filters       []statsFilter `json:"filters,omitempty" maxItems:"10" doc:"The filters and, or and not combine (not: exactly one). Groups nest up to 4 deep, with at most 20 comparisons in a query."`
}

// visits is the filter as the query layer takes it.
func (f statsFilter) visits() visits.Filter {
	out := visits.Filter{Dimension: f.Dimension, Operator: f.Operator, Values: f.Values, CaseSensitive: f.CaseSensitive}
	for _, g := range f.Filters {
		out.Filters = append(out.Filters, g.visits())
	}
	return out
}

type statsOrder struct {
	Field     string `json:"field" maxLength:"40" example:"visitors" doc:"A metric or dimension of the query."`
	Direction string `json:"direction,omitempty" enum:"asc,desc" default:"desc"`
}

type statsQueryResult struct {
	Items      []statsRow `json:"items" doc:"The rows of this page."`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Send as pagination.cursor for the next page; absent on the last."`
	Results    []statsRow `json:"results" deprecated:"true" doc:"The same as items, under its 1.0 name. Deprecated since 1.2.0: read items; results goes in 2.0.0."`
	Meta       statsMeta  `json:"meta"`
}

type statsRow struct {
	Dimensions []string         `json:"dimensions" example:"[\"/about\"]" doc:"One value per requested dimension, in order."`
	Metrics    []float64        `json:"metrics" example:"[1204,3.2]" doc:"One value per requested metric, in order."`
	Comparison *statsComparison `json:"comparison,omitempty"`
}

type statsComparison struct {
	Metrics []float64     `json:"metrics" doc:"The compared period's values."`
	Change  []changeValue `json:"change" doc:"Percentage change per metric (null where the previous value was 0); for bounce_rate, the difference in points."`
}

type statsMeta struct {
	Metrics             []string   `json:"metrics"`
	Dimensions          []string   `json:"dimensions"`
	DateRange           [2]string  `json:"date_range" doc:"First and last date, inclusive."`
	ComparisonDateRange *[2]string `json:"comparison_date_range,omitempty"`
	TimeZone            string     `json:"time_zone" example:"Europe/London"`
	TotalRows           int        `json:"total_rows" doc:"Rows before pagination."`
	ImportsIncluded     bool       `json:"imports_included" doc:"Whether imported history is in the figures."`
}

func registerStats(hapi huma.API, stats statsReader) {
	register(hapi, statsAccess, huma.Operation{
		OperationID: "query-stats",
		Method:      http.MethodPost,
		Path:        "/v1/stats/query",
		Summary:     "Query visit statistics",
		Description: "In the spirit of Plausible's Stats API v2: metrics over a date range, grouped by up to one dimension and one time dimension, filtered, ordered, paginated, optionally compared with the previous period. Answers come from rollups, so a year costs no more than a day, except when a filter names a dimension the query does not group by: those are counted from raw events (422 `range-beyond-raw-events` before the raw events kept, `filtered-range-too-long` when counting takes over 20 s). Visitors are unique per day (visitor IDs change daily by design), so over longer ranges they are the sum of daily visitors. Send `Accept: text/csv` for a spreadsheet: one column per dimension and metric.",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[statsQueryResult](hapi, "The matching rows."),
	}, func(ctx context.Context, in *statsQueryInput) (*documentOutput, error) {
		asCSV, err := statsFormat(in.Accept)
		if err != nil {
			return nil, err
		}
		q, err := in.query()
		if err != nil {
			return nil, err
		}
		res, err := stats.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		if asCSV {
			return csvQuery(q, res), nil
		}
		out := statsQueryResult{Items: make([]statsRow, len(res.Rows)), Meta: statsMeta{
			Metrics: q.Metrics, Dimensions: nonNil(q.Dimensions), DateRange: dates(res.From, res.To),
			TimeZone: stats.Location().String(), TotalRows: res.TotalRows, ImportsIncluded: res.ImportsIncluded,
		}}
		if q.Comparison != "" {
			cr := dates(res.CompareFrom, res.CompareTo)
			out.Meta.ComparisonDateRange = &cr
		}
		for i, r := range res.Rows {
			out.Items[i] = statsRow{Dimensions: r.Dimensions, Metrics: r.Metrics}
			if q.Comparison != "" {
				c := &statsComparison{Metrics: r.Comparison, Change: make([]changeValue, len(r.Change))}
				for j, ch := range r.Change {
					c.Change[j] = changeValue{ch}
				}
				out.Items[i].Comparison = c
			}
		}
		out.Results = out.Items
		if q.Offset+len(res.Rows) < res.TotalRows {
			out.NextCursor = encodeCursor(q.Offset + len(res.Rows))
		}
		return jsonDocument(out), nil
	})
	registerStatsReports(hapi, stats)
	registerStatsGoals(hapi, stats)
	registerStatsFunnel(hapi, stats)
	registerStatsFunnels(hapi, stats)
	registerStatsExport(hapi, stats)
	registerStatsImports(hapi, stats)
}

// query is the visits query the body asks for.
func (in *statsQueryInput) query() (visits.Query, error) {
	b := in.Body
	if b.Pagination.Cursor != "" {
		if err := decodeCursor(b.Pagination.Cursor, &b.Pagination.Offset); err != nil || b.Pagination.Offset < 0 || b.Pagination.Offset > 1_000_000 {
			return visits.Query{}, invalidField("body.pagination.cursor", "is not a cursor this API gave out")
		}
	}
	q := visits.Query{Metrics: b.Metrics, Dimensions: b.Dimensions, Limit: b.Pagination.Limit, Offset: b.Pagination.Offset,
		Comparison: b.Include.Comparison, Imports: b.Include.Imports, CompareRange: b.Include.CompareDateRange.visits("body.include.compare_date_range"),
		At: "body.", Range: b.DateRange.visits("body.date_range")}
	for _, f := range b.Filters {
		q.Filters = append(q.Filters, f.visits())
	}
	for _, o := range b.OrderBy {
		q.OrderBy = append(q.OrderBy, visits.Order{Field: o.Field, Desc: o.Direction != "asc"})
	}
	return q, nil
}

// dateRange is a preset name or two dates.
type dateRange struct {
	preset   string
	from, to time.Time
}

// Schema implements huma.SchemaProvider.
func (dateRange) Schema(huma.Registry) *huma.Schema {
	presets := make([]any, len(visits.Presets))
	for i, p := range visits.Presets {
		presets[i] = p
	}
	two := 2
	return &huma.Schema{
		Description: "A preset (day, 7d, 30d, month, 12mo, year, all) or [first, last] dates, inclusive.",
		OneOf: []*huma.Schema{
			{Type: huma.TypeString, Enum: presets, Examples: []any{"30d"}},
			{Type: huma.TypeArray, MinItems: &two, MaxItems: &two, Items: &huma.Schema{Type: huma.TypeString, Format: "date"},
				Examples: []any{[]any{"2026-03-01", "2026-03-31"}}},
		},
	}
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *dateRange) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &d.preset); err == nil {
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("date_range must be a preset or two dates")
	}
	var err error
	if d.from, err = time.Parse(time.DateOnly, pair[0]); err != nil {
		return err
	}
	d.to, err = time.Parse(time.DateOnly, pair[1])
	return err
}

func (d dateRange) visits(location string) visits.DateRange {
	return visits.DateRange{Preset: d.preset, From: d.from, To: d.to, Location: location}
}

// changeValue is a number or null.
type changeValue struct{ v *float64 }

// MarshalJSON implements json.Marshaler.
func (c changeValue) MarshalJSON() ([]byte, error) { return json.Marshal(c.v) }

// Schema implements huma.SchemaProvider.
func (changeValue) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeNumber, Nullable: true}
}

func dates(from, to time.Time) [2]string {
	return [2]string{from.Format(time.DateOnly), to.Format(time.DateOnly)}
}

// resolveRange reads the period, from and to query parameters shared by
// the GET reports.
func resolveRange(ctx context.Context, stats statsReader, p PeriodQuery) (visits.DateRange, error) {
	if p.From == "" && p.To == "" {
		if p.Period == "custom" {
			return visits.DateRange{}, hpa.Invalid("query.from", "a custom period needs from and to")
		}
		period := p.Period
		if period == "" {
			period = "30d"
		}
		return visits.DateRange{Preset: period, Location: "query.period"}, nil
	}
	if p.Period != "custom" && p.Period != "" {
		return visits.DateRange{}, hpa.Invalid("query.period", "give either a preset period or from and to (period=custom)")
	}
	from, err1 := time.Parse(time.DateOnly, p.From)
	to, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil {
		return visits.DateRange{}, hpa.Invalid("query.from", "from and to must both be dates such as 2026-03-01")
	}
	r := visits.DateRange{From: from, To: to, Location: "query.from"}
	if _, _, err := stats.Resolve(ctx, r); err != nil {
		return visits.DateRange{}, err
	}
	return r, nil
}

// PeriodQuery is the date range of the GET reports (exported so huma sees
// its fields where it is embedded).
type PeriodQuery struct {
	Period string `query:"period" enum:"day,7d,30d,month,12mo,year,all,custom" doc:"A preset range ending today (default 30d), or custom with from and to."`
	From   string `query:"from" format:"date" doc:"First date (inclusive) of a custom range, in the site's time zone."`
	To     string `query:"to" format:"date" doc:"Last date (inclusive) of a custom range."`
}
