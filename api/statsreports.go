package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/visits"
)

// MetricValues are every metric, named, for the GET reports (exported so
// huma documents them where they are embedded).
type MetricValues struct {
	Visitors      int64   `json:"visitors" example:"1204" doc:"Unique visitors per day, summed over the days."`
	Visits        int64   `json:"visits" example:"1530" doc:"Sessions: a visitor's events with no gap over 30 minutes."`
	Pageviews     int64   `json:"pageviews" example:"4321"`
	ViewsPerVisit float64 `json:"views_per_visit" example:"2.82"`
	BounceRate    float64 `json:"bounce_rate" example:"54.3" doc:"Percentage of visits with a single page view and nothing else."`
	VisitDuration float64 `json:"visit_duration" example:"96" doc:"Mean seconds from a visit's first to its last event."`
	Events        int64   `json:"events" example:"4410" doc:"Page views plus custom events."`
}

func namedMetrics(values []float64) MetricValues {
	return MetricValues{Visitors: int64(values[0]), Visits: int64(values[1]), Pageviews: int64(values[2]),
		ViewsPerVisit: values[3], BounceRate: values[4], VisitDuration: values[5], Events: int64(values[6])}
}

// SummaryQuery is what the summary reports take (exported so huma sees its
// fields where it is embedded).
type SummaryQuery struct {
	PeriodQuery
	CompareQuery
	Include string `query:"include" enum:"imports" doc:"imports: add imported history (see POST /v1/stats/imports) to the figures, where it can be: not by the hour."`
	Accept  string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
}

// SummaryPeriod is one period's figures in a summary.
type SummaryPeriod struct {
	From string `json:"from" format:"date"`
	To   string `json:"to" format:"date"`
	MetricValues
	Bots int64 `json:"bots" doc:"Requests from bots, crawlers and floods, ignored and not in any other figure."`
}

type summaryResult struct {
	SummaryPeriod
	TimeZone   string         `json:"time_zone" example:"Europe/London"`
	Comparison *SummaryPeriod `json:"comparison,omitempty" doc:"The compared period, when compare is given."`
}

// TimeseriesQuery is what the time series reports take (exported so huma
// sees its fields where it is embedded).
type TimeseriesQuery struct {
	PeriodQuery
	CompareQuery
	Include  string `query:"include" enum:"imports" doc:"imports: add imported history (see POST /v1/stats/imports) to the figures, where it can be: not by the hour."`
	Interval string `query:"interval" enum:"hour,day,week,month" default:"day" doc:"Bucket size; hour needs a range of at most 31 days. Weeks start on Monday."`
	Accept   string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
}

type timeseriesPoint struct {
	Date string `json:"date" example:"2026-03-01" doc:"The bucket's first day (or, for hours, its start as RFC 3339 in the site's time zone)."`
	MetricValues
	Comparison *reportComparison `json:"comparison,omitempty" doc:"The compared period's bucket in the same position, when compare is given."`
}

type timeseriesResult struct {
	Interval       string            `json:"interval"`
	From           string            `json:"from" format:"date"`
	To             string            `json:"to" format:"date"`
	TimeZone       string            `json:"time_zone"`
	Items          []timeseriesPoint `json:"items" doc:"Every bucket of the range, empty ones included, oldest first."`
	Results        []timeseriesPoint `json:"results" deprecated:"true" doc:"The same as items, under its 1.0 name. Deprecated since 1.2.0: read items; results goes in 2.0.0."`
	ComparisonFrom string            `json:"comparison_from,omitempty" format:"date" doc:"First date of the compared period, when compare is given."`
	ComparisonTo   string            `json:"comparison_to,omitempty" format:"date"`
}

// BreakdownQuery is what the breakdown reports take (exported so huma sees
// its fields where it is embedded).
type BreakdownQuery struct {
	Dimension string `path:"dimension" enum:"page,entry_page,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,country,device,browser,os,event_name" doc:"What to break the figures down by."`
	PeriodQuery
	CompareQuery
	Include  string `query:"include" enum:"imports" doc:"imports: add imported history (see POST /v1/stats/imports) to the figures, where it can be: not by the hour."`
	OrderBy  string `query:"order_by" enum:"visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events" default:"visitors" doc:"Sort, largest first."`
	Contains string `query:"contains" maxLength:"200" doc:"Only values containing this text (ignoring case)."`
	PageQuery
	All    bool   `query:"all" doc:"Every row (up to 10,000) at once instead of a page of limit rows: for a spreadsheet. X-Total-Rows says how many there are."`
	Accept string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
}

type breakdownRow struct {
	Value string `json:"value" example:"/about" doc:"The dimension's value; empty for unknown (such as a country without GeoIP)."`
	MetricValues
	Comparison *reportComparison `json:"comparison,omitempty" doc:"The same value's figures in the compared period, when compare is given."`
}

type breakdownResult struct {
	Dimension      string         `json:"dimension"`
	From           string         `json:"from" format:"date"`
	To             string         `json:"to" format:"date"`
	Items          []breakdownRow `json:"items" doc:"The values, in order_by order."`
	Results        []breakdownRow `json:"results" deprecated:"true" doc:"The same as items, under its 1.0 name. Deprecated since 1.2.0: read items; results goes in 2.0.0."`
	TotalRows      int            `json:"total_rows"`
	NextCursor     string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last."`
	ComparisonFrom string         `json:"comparison_from,omitempty" format:"date" doc:"First date of the compared period, when compare is given."`
	ComparisonTo   string         `json:"comparison_to,omitempty" format:"date"`
}

// acceptInput is a report's only input: the format it is wanted in.
type acceptInput struct {
	Accept string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
}

type realtimeResult struct {
	Visitors      int64          `json:"visitors" example:"12" doc:"Unique visitors in the last five minutes."`
	Pageviews     int64          `json:"pageviews" example:"30"`
	WindowSeconds int            `json:"window_seconds" example:"300"`
	Pages         []realtimePage `json:"pages" doc:"The ten pages with most visitors right now."`
}

type realtimePage struct {
	Page     string `json:"page" example:"/about"`
	Visitors int64  `json:"visitors"`
}

type visitCounter struct {
	TotalVisits      int64 `json:"total_visits" example:"58412" doc:"Visits since records began: the historic baseline plus every visit counted here."`
	HistoricBaseline int64 `json:"historic_baseline" example:"58325" doc:"Visits counted before this service took over."`
	Counted          int64 `json:"counted" example:"87" doc:"Visits counted by this service (within seconds of their events)."`
	Imported         int64 `json:"imported" example:"0" doc:"Imported visits missing from the baseline: from imports marked add_to_counter, on days before this service's first, each day once."`
}

func registerStatsReports(hapi huma.API, stats statsReader) {
	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-summary",
		Method:      http.MethodGet,
		Path:        "/v1/stats/summary",
		Summary:     "Summarise visits over a period",
		Description: "Every metric for a period, optionally with another (the previous period, the same dates last year, or custom dates): `curl -H \"X-API-Key: $KEY\" '…/v1/stats/summary?period=30d' | jq .visitors`. `Accept: text/csv` gives one row per period.",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[summaryResult](hapi, "The period's figures."),
	}, func(ctx context.Context, in *SummaryQuery) (*documentOutput, error) {
		return summaryReport(ctx, stats, in)
	})

	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-timeseries",
		Method:      http.MethodGet,
		Path:        "/v1/stats/timeseries",
		Summary:     "Visits over time",
		Description: "Every metric per hour, day, week or month of a period, empty buckets included, for charts; with `compare`, each bucket also has the compared period's bucket in the same position (the first day with the first day) and the change. `Accept: text/csv` gives one row per bucket (with `previous_` and `change_` columns when comparing).",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[timeseriesResult](hapi, "One point per bucket."),
	}, func(ctx context.Context, in *TimeseriesQuery) (*documentOutput, error) {
		return timeseriesReport(ctx, stats, in)
	})

	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-breakdown",
		Method:      http.MethodGet,
		Path:        "/v1/stats/breakdown/{dimension}",
		Summary:     "Break visits down by page, source, campaign…",
		Description: "Top values of one dimension over a period, largest first, cursor-paginated: top pages this month, sources after a campaign, devices; with `compare`, each value also has its figures in the compared period and the change. `Accept: text/csv` gives one row per value (with `previous_` and `change_` columns when comparing).",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[breakdownResult](hapi, "One row per value."),
	}, func(ctx context.Context, in *BreakdownQuery) (*pagedOutput, error) {
		return breakdownReport(ctx, stats, in)
	})

	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-realtime",
		Method:      http.MethodGet,
		Path:        "/v1/stats/realtime",
		Summary:     "Visitors right now",
		Description: "Unique visitors and page views in the last five minutes, and the pages they are on. `Accept: text/csv` gives one row per page, after a row of totals (page empty).",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[realtimeResult](hapi, "Right now."),
	}, func(ctx context.Context, in *acceptInput) (*documentOutput, error) {
		asCSV, err := statsFormat(in.Accept)
		if err != nil {
			return nil, err
		}
		rt, err := stats.Realtime(ctx)
		if err != nil {
			return nil, err
		}
		out := realtimeResult{Visitors: rt.Visitors, Pageviews: rt.Pageviews, WindowSeconds: int(visits.RealtimeWindow.Seconds()),
			Pages: make([]realtimePage, len(rt.Pages))}
		for i, p := range rt.Pages {
			out.Pages[i] = realtimePage{Page: p.Page, Visitors: p.Visitors}
		}
		if asCSV {
			return csvDocument(realtimeCSV(out)), nil
		}
		return jsonDocument(out), nil
	})

	encoded := newEncodedCache()
	register(hapi, public, huma.Operation{
		OperationID: "get-visit-counter",
		Method:      http.MethodGet,
		Path:        "/v1/stats/counter",
		Summary:     "Get the public visit counter",
		Description: "\"Total Website Visits\" for the site's footer: the historic total from before this service (58,325) plus every visit counted since. Cacheable for a minute; send `If-None-Match` to get `304`.",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotFound},
		Responses:   encodedResponses[visitCounter](hapi, "The visit counter."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		c, err := stats.Counter(ctx)
		if err != nil {
			return nil, err
		}
		version := fmt.Sprintf("visits-%d-%d-%d", c.Baseline, c.Counted, c.Imported)
		return publicDocument(in.IfNoneMatch, version, time.Time{}, func() []byte {
			return encoded.get(version, func() any {
				return visitCounter{TotalVisits: c.Total, HistoricBaseline: c.Baseline, Counted: c.Counted, Imported: c.Imported}
			})
		})
	})
}

func summarise(ctx context.Context, stats statsReader, from, to time.Time, values []float64) (SummaryPeriod, error) {
	bots, err := stats.Bots(ctx, from, to)
	if err != nil {
		return SummaryPeriod{}, err
	}
	return SummaryPeriod{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), MetricValues: namedMetrics(values), Bots: bots}, nil
}

// realtimeCSV is the realtime figures as a table: the totals (page empty),
// then a row per page.
func realtimeCSV(rt realtimeResult) [][]string {
	rows := [][]string{{"page", "visitors", "pageviews", "window_seconds"},
		{"", strconv.FormatInt(rt.Visitors, 10), strconv.FormatInt(rt.Pageviews, 10), strconv.Itoa(rt.WindowSeconds)}}
	for _, p := range rt.Pages {
		rows = append(rows, []string{p.Page, strconv.FormatInt(p.Visitors, 10), "", ""})
	}
	return rows
}

// customComparison is the range of compare_from and compare_to.
func customComparison(from, to string) (visits.DateRange, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil {
		return visits.DateRange{}, invalidField("query.compare_from", "a custom comparison needs compare_from and compare_to, dates such as 2025-03-01")
	}
	return visits.DateRange{From: f, To: t, Location: "query.compare_from"}, nil
}

// pagedOutput is a page of a list, as JSON or CSV, with its total and the
// cursor of the next page also in headers (a CSV file has nowhere else).
type pagedOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	TotalRows          string `header:"X-Total-Rows" doc:"Rows in the whole list."`
	NextCursor         string `header:"X-Next-Cursor" doc:"Pass as cursor for the next page; absent on the last."`
	Body               []byte
}

func paged(o *documentOutput, total int, next string) *pagedOutput {
	return &pagedOutput{ContentType: o.ContentType, ContentDisposition: o.ContentDisposition, TotalRows: strconv.Itoa(total), NextCursor: next, Body: o.Body}
}

// summaryReport answers the summary report.
func summaryReport(ctx context.Context, stats statsReader, in *SummaryQuery) (*documentOutput, error) {
	asCSV, err := statsFormat(in.Accept)
	if err != nil {
		return nil, err
	}
	r, err := resolveRange(ctx, stats, in.PeriodQuery)
	if err != nil {
		return nil, err
	}
	q := visits.Query{Metrics: visits.Metrics, Range: r, At: "query.", Imports: importsRequested(in.Include)}
	if err := in.apply(&q); err != nil {
		return nil, err
	}
	res, err := stats.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	current, err := summarise(ctx, stats, res.From, res.To, res.Rows[0].Metrics)
	if err != nil {
		return nil, err
	}
	out := summaryResult{SummaryPeriod: current, TimeZone: stats.Location().String()}
	if in.Compare != "" {
		prev, err := summarise(ctx, stats, res.CompareFrom, res.CompareTo, res.Rows[0].Comparison)
		if err != nil {
			return nil, err
		}
		out.Comparison = &prev
	}
	if asCSV {
		rows := [][]string{append([]string{"from", "to"}, append(visits.Metrics, "bots")...), summaryCSV(current)}
		if out.Comparison != nil {
			rows = append(rows, summaryCSV(*out.Comparison))
		}
		return csvDocument(rows), nil
	}
	return jsonDocument(out), nil
}

// timeseriesReport answers the time series report.
func timeseriesReport(ctx context.Context, stats statsReader, in *TimeseriesQuery) (*documentOutput, error) {
	asCSV, err := statsFormat(in.Accept)
	if err != nil {
		return nil, err
	}
	r, err := resolveRange(ctx, stats, in.PeriodQuery)
	if err != nil {
		return nil, err
	}
	q := visits.Query{Metrics: visits.Metrics, Range: r, Dimensions: []string{"time:" + in.Interval},
		FillTime: true, Limit: 100_000, At: "query.", TimeAt: "query.interval", Imports: importsRequested(in.Include)}
	if err := in.apply(&q); err != nil {
		return nil, err
	}
	res, err := stats.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	out := timeseriesResult{Interval: in.Interval, From: res.From.Format(time.DateOnly), To: res.To.Format(time.DateOnly),
		TimeZone: stats.Location().String(), Items: make([]timeseriesPoint, len(res.Rows))}
	out.ComparisonFrom, out.ComparisonTo = comparedDates(q, res)
	for i, row := range res.Rows {
		out.Items[i] = timeseriesPoint{Date: row.Dimensions[0], MetricValues: namedMetrics(row.Metrics), Comparison: comparisonOf(q, row, true)}
	}
	out.Results = out.Items
	if asCSV {
		return csvQuery(visits.Query{Metrics: visits.Metrics, Dimensions: []string{"date"}, Comparison: q.Comparison}, res), nil
	}
	return jsonDocument(out), nil
}

// breakdownReport answers a breakdown report.
func breakdownReport(ctx context.Context, stats statsReader, in *BreakdownQuery) (*pagedOutput, error) {
	asCSV, err := statsFormat(in.Accept)
	if err != nil {
		return nil, err
	}
	r, err := resolveRange(ctx, stats, in.PeriodQuery)
	if err != nil {
		return nil, err
	}
	var offset int
	if err := decodeCursor(in.Cursor, &offset); err != nil || offset < 0 {
		return nil, invalidField("query.cursor", "is not a cursor this API gave out")
	}
	limit := in.Limit
	if in.All {
		limit, offset = maxExportRows, 0
	}
	q := visits.Query{Metrics: visits.Metrics, Range: r, Dimensions: []string{in.Dimension}, Limit: limit, Offset: offset,
		OrderBy: []visits.Order{{Field: in.OrderBy, Desc: true}}, At: "query.", Imports: importsRequested(in.Include)}
	if err := in.apply(&q); err != nil {
		return nil, err
	}
	if in.Contains != "" {
		q.Filters = []visits.Filter{{Dimension: in.Dimension, Operator: "contains", Values: []string{in.Contains}}}
	}
	res, err := stats.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	next := ""
	if offset+len(res.Rows) < res.TotalRows {
		next = encodeCursor(offset + len(res.Rows))
	}
	if asCSV {
		return paged(csvQuery(q, res), res.TotalRows, next), nil
	}
	out := breakdownResult{Dimension: in.Dimension, From: res.From.Format(time.DateOnly), To: res.To.Format(time.DateOnly),
		Items: make([]breakdownRow, len(res.Rows)), TotalRows: res.TotalRows, NextCursor: next}
	out.ComparisonFrom, out.ComparisonTo = comparedDates(q, res)
	for i, row := range res.Rows {
		out.Items[i] = breakdownRow{Value: row.Dimensions[0], MetricValues: namedMetrics(row.Metrics), Comparison: comparisonOf(q, row, false)}
	}
	out.Results = out.Items
	return paged(jsonDocument(out), res.TotalRows, next), nil
}
