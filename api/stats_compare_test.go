package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
)

// Comparisons with the previous period, the same dates last year and a
// custom range give, for totals, time buckets and breakdowns, what an
// independent count over the raw events gives for the compared dates.
func TestComparisonsWithLastYearAndCustomRanges(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	if _, err := srv.App.Visits.Generate(context.Background(), visits.GenerateOptions{
		Pageviews: 6_000, Days: 400, Hostname: "www.example.org", Seed: 7}, nil); err != nil {
		t.Fatal(err)
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	london, _ := time.LoadLocation("Europe/London")
	today := time.Now().In(london)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	from, to := today.AddDate(0, 0, -29), today
	// Visitors are unique per day, summed; page views are page views.
	counts := func(first, last time.Time, where string) (visitors, pageviews float64) {
		visitors = float64(count(t, srv, `SELECT coalesce(sum(n), 0)::bigint FROM (
			SELECT count(DISTINCT visitor_id) AS n FROM visit_events
			WHERE (ts AT TIME ZONE 'Europe/London')::date BETWEEN $1::date AND $2::date `+where+`
			GROUP BY (ts AT TIME ZONE 'Europe/London')::date) d`, day(first), day(last)))
		pageviews = float64(count(t, srv, `SELECT count(*) FROM visit_events
			WHERE name = 'pageview' AND (ts AT TIME ZONE 'Europe/London')::date BETWEEN $1::date AND $2::date `+where, day(first), day(last)))
		return visitors, pageviews
	}
	type compared struct {
		Results []struct {
			Dimensions []string
			Metrics    []float64
			Comparison struct {
				Metrics []float64
				Change  []*float64
			}
		}
		Meta struct {
			ComparisonDateRange []string `json:"comparison_date_range"`
		}
	}
	customFrom, customTo := today.AddDate(0, -6, 0), today.AddDate(0, -6, 29)
	for _, c := range []struct {
		include     map[string]any
		first, last time.Time
	}{
		{map[string]any{"comparison": "previous_period"}, from.AddDate(0, 0, -30), from.AddDate(0, 0, -1)},
		{map[string]any{"comparison": "year_over_year"}, from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0)},
		{map[string]any{"comparison": "custom", "compare_date_range": []string{day(customFrom), day(customTo)}}, customFrom, customTo},
	} {
		var out compared
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"visitors", "pageviews"}, "date_range": []string{day(from), day(to)}, "include": c.include}})
		r.JSON(t, &out)
		wantVisitors, wantViews := counts(c.first, c.last, "")
		nowVisitors, nowViews := counts(from, to, "")
		if r.StatusCode != 200 || len(out.Results) != 1 || out.Meta.ComparisonDateRange[0] != day(c.first) || out.Meta.ComparisonDateRange[1] != day(c.last) {
			t.Fatalf("%v: %d %s", c.include, r.StatusCode, r.Body)
		}
		got := out.Results[0]
		if got.Metrics[0] != nowVisitors || got.Metrics[1] != nowViews || got.Comparison.Metrics[0] != wantVisitors ||
			got.Comparison.Metrics[1] != wantViews || wantViews == 0 || got.Comparison.Change[1] == nil {
			t.Errorf("%v: %v against %v, want %v %v against %v %v", c.include, got.Metrics, got.Comparison.Metrics, nowVisitors, nowViews, wantVisitors, wantViews)
		}

		// By device, and by week (buckets matched by position).
		r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"pageviews"}, "date_range": []string{day(from), day(to)}, "dimensions": []string{"device"}, "include": c.include}})
		r.JSON(t, &out)
		for _, row := range out.Results {
			_, views := counts(c.first, c.last, `AND device = '`+row.Dimensions[0]+`'`)
			if row.Comparison.Metrics[0] != views {
				t.Errorf("%v %s: %v, want %v", c.include, row.Dimensions[0], row.Comparison.Metrics[0], views)
			}
		}
		r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"pageviews"}, "date_range": []string{day(from), day(to)}, "dimensions": []string{"time:day"}, "include": c.include}})
		r.JSON(t, &out)
		var sum float64
		for _, row := range out.Results {
			sum += row.Comparison.Metrics[0]
		}
		if _, views := counts(c.first, c.first, ""); len(out.Results) == 0 || out.Results[0].Comparison.Metrics[0] != views || sum > wantViews {
			t.Errorf("%v by day: first bucket %v, want %v", c.include, out.Results[0].Comparison.Metrics, views)
		}
	}

	var summary struct {
		Pageviews  int64
		Comparison *struct {
			From, To  string
			Pageviews int64
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/stats/summary?period=30d&compare=year_over_year", APIKey: key})
	r.JSON(t, &summary)
	if _, views := counts(from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0), ""); summary.Comparison == nil || float64(summary.Comparison.Pageviews) != views {
		t.Errorf("summary against last year: %s", r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/summary?period=30d&compare=custom&compare_from=" + day(customFrom) + "&compare_to=" + day(customTo), APIKey: key})
	r.JSON(t, &summary)
	if summary.Comparison == nil || summary.Comparison.From != day(customFrom) {
		t.Errorf("summary against a custom range: %s", r.Body)
	}
	for path, at := range map[string]string{
		"/v1/stats/summary?compare=custom":                                               "query.compare_from",
		"/v1/stats/summary?compare_from=2026-01-01&compare_to=2026-01-02":                "query.compare",
		"/v1/stats/summary?compare=custom&compare_from=2026-02-01&compare_to=2026-01-01": "query.compare_from",
	} {
		r := srv.Do(apitest.Request{Path: path, APIKey: key})
		if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Location != at {
			t.Errorf("%s: %d %+v, want 422 at %s", path, r.StatusCode, p, at)
		}
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
		"metrics": []string{"visitors"}, "date_range": "7d", "include": map[string]any{"comparison": "custom"}}})
	if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Location != "body.include.compare_date_range" {
		t.Errorf("custom without dates: %d %+v", r.StatusCode, p)
	}
}

// The timeseries and breakdown GETs compare too: each bucket with the
// compared period's bucket in the same position, each value with its own
// figures then, as an independent count over the raw events gives them.
func TestComparisonsOnTimeseriesAndBreakdowns(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	if _, err := srv.App.Visits.Generate(context.Background(), visits.GenerateOptions{
		Pageviews: 3_000, Days: 400, Hostname: "www.example.org", Seed: 11}, nil); err != nil {
		t.Fatal(err)
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	london, _ := time.LoadLocation("Europe/London")
	today := time.Now().In(london)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	views := func(first, last string, where string) float64 {
		return float64(count(t, srv, `SELECT count(*) FROM visit_events WHERE name = 'pageview'
			AND (ts AT TIME ZONE 'Europe/London')::date BETWEEN $1::date AND $2::date `+where, first, last))
	}
	from, to := today.AddDate(0, 0, -13), today
	period := "period=custom&from=" + day(from) + "&to=" + day(to)

	var series struct {
		ComparisonFrom string `json:"comparison_from"`
		ComparisonTo   string `json:"comparison_to"`
		Results        []struct {
			Date       string
			Pageviews  float64
			Comparison *struct {
				Date      string
				Pageviews float64
				Change    struct{ Pageviews *float64 }
			}
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/stats/timeseries?interval=day&compare=year_over_year&" + period, APIKey: key})
	r.JSON(t, &series)
	if r.StatusCode != 200 || len(series.Results) != 14 || series.ComparisonFrom != day(from.AddDate(-1, 0, 0)) || series.ComparisonTo != day(to.AddDate(-1, 0, 0)) {
		t.Fatalf("timeseries against last year: %d %s", r.StatusCode, r.Body)
	}
	var compared float64
	for i, p := range series.Results {
		want := day(from.AddDate(-1, 0, i))
		if p.Comparison == nil || p.Comparison.Date != want || p.Comparison.Pageviews != views(want, want, "") {
			t.Fatalf("bucket %s: %+v, want %v page views on %s", p.Date, p.Comparison, views(want, want, ""), want)
		}
		if p.Comparison.Pageviews > 0 && (p.Comparison.Change.Pageviews == nil ||
			*p.Comparison.Change.Pageviews != math.Round((p.Pageviews-p.Comparison.Pageviews)/p.Comparison.Pageviews*1000)/10) {
			t.Errorf("bucket %s: change %v for %v against %v", p.Date, p.Comparison.Change.Pageviews, p.Pageviews, p.Comparison.Pageviews)
		}
		compared += p.Comparison.Pageviews
	}
	if compared == 0 {
		t.Fatal("nothing to compare with a year ago: the test data covers too little")
	}

	var devices struct {
		ComparisonFrom string `json:"comparison_from"`
		Results        []struct {
			Value      string
			Pageviews  float64
			Comparison *struct{ Pageviews float64 }
		}
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/device?compare=previous_period&order_by=pageviews&" + period, APIKey: key})
	r.JSON(t, &devices)
	prevFrom, prevTo := day(from.AddDate(0, 0, -14)), day(from.AddDate(0, 0, -1))
	if r.StatusCode != 200 || len(devices.Results) == 0 || devices.ComparisonFrom != prevFrom {
		t.Fatalf("devices against the previous fortnight: %d %s", r.StatusCode, r.Body)
	}
	for _, row := range devices.Results {
		if row.Comparison == nil || row.Comparison.Pageviews != views(prevFrom, prevTo, `AND device = '`+row.Value+`'`) {
			t.Errorf("%s: %+v, want %v", row.Value, row.Comparison, views(prevFrom, prevTo, `AND device = '`+row.Value+`'`))
		}
	}

	customFrom, customTo := day(today.AddDate(0, -6, 0)), day(today.AddDate(0, -6, 13))
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/device?compare=custom&compare_from=" + customFrom + "&compare_to=" + customTo + "&" + period,
		APIKey: key, Header: http.Header{"Accept": {"text/csv"}}})
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || r.StatusCode != 200 || len(rows) < 2 || rows[0][0] != "device" || rows[0][10] != "previous_pageviews" || rows[0][17] != "change_pageviews" {
		t.Fatalf("devices as CSV: %d %v %s", r.StatusCode, err, r.Body)
	}
	for _, row := range rows[1:] {
		if got, want := row[10], views(customFrom, customTo, `AND device = '`+row[0]+`'`); got != strconv.FormatFloat(want, 'f', -1, 64) {
			t.Errorf("CSV %s: previous_pageviews %s, want %v", row[0], got, want)
		}
	}

	for path, at := range map[string]string{
		"/v1/stats/timeseries?compare=custom":                                    "query.compare_from",
		"/v1/stats/breakdown/page?compare_from=2026-01-01&compare_to=2026-01-02": "query.compare",
	} {
		r := srv.Do(apitest.Request{Path: path, APIKey: key})
		if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Location != at {
			t.Errorf("%s: %d %+v, want 422 at %s", path, r.StatusCode, p, at)
		}
	}
}
