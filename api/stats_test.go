package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// twoVisitors records a known day: A views /, /about and /join; B arrives
// on /about from a newsletter campaign and leaves.
func twoVisitors(t *testing.T, srv *apitest.Server) {
	t.Helper()
	send := func(ua, ip, url string) {
		r := beacon(srv, `{"url":"`+url+`"}`, http.Header{"User-Agent": {ua}, "X-Forwarded-For": {ip}})
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
	}
	send(browserUA, "192.0.2.1", "https://www.example.org/")
	send(browserUA, "192.0.2.1", "https://www.example.org/about")
	send(browserUA, "192.0.2.1", "https://www.example.org/join")
	send(mobileUA, "192.0.2.2", "https://www.example.org/about?utm_source=newsletter&utm_campaign=spring")
	apitest.Eventually(t, 5*time.Second, "events written", func() bool { return rawEvents(t, srv) == 4 })
	srv.RollUpVisits(t)
}

func TestStatsReportsAgreeOnAKnownDay(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	twoVisitors(t, srv)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)

	var summary struct {
		Visitors, Visits, Pageviews, Events, Bots int
		BounceRate                                float64 `json:"bounce_rate"`
		ViewsPerVisit                             float64 `json:"views_per_visit"`
		Comparison                                *struct{ Visitors int }
	}
	r := srv.Do(apitest.Request{Path: "/v1/stats/summary?period=day&compare=previous_period", APIKey: key})
	r.JSON(t, &summary)
	if r.StatusCode != 200 || summary.Visitors != 2 || summary.Visits != 2 || summary.Pageviews != 4 || summary.BounceRate != 50 ||
		summary.ViewsPerVisit != 2 || summary.Comparison == nil || summary.Comparison.Visitors != 0 {
		t.Errorf("summary: %d %s", r.StatusCode, r.Body)
	}

	var pages struct {
		Results []struct {
			Value     string
			Visitors  int
			Pageviews int
		}
		TotalRows  int    `json:"total_rows"`
		NextCursor string `json:"next_cursor"`
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=7d&limit=1", Token: analyst})
	r.JSON(t, &pages)
	if len(pages.Results) != 1 || pages.Results[0].Value != "/about" || pages.Results[0].Visitors != 2 || pages.TotalRows != 3 || pages.NextCursor == "" {
		t.Errorf("top page: %s", r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=7d&limit=5&cursor=" + pages.NextCursor, Token: analyst})
	pages.NextCursor = ""
	r.JSON(t, &pages)
	if len(pages.Results) != 2 || pages.NextCursor != "" {
		t.Errorf("second page: %s", r.Body)
	}

	var series struct {
		Results []struct {
			Date      string
			Pageviews int
		}
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/timeseries?period=day&interval=hour", APIKey: key})
	r.JSON(t, &series)
	total := 0
	for _, p := range series.Results {
		total += p.Pageviews
	}
	if len(series.Results) < 23 || len(series.Results) > 25 || total != 4 {
		t.Errorf("hourly series: %d points, %d page views", len(series.Results), total)
	}

	// The query endpoint: campaign visitors, filtered, compared.
	var q struct {
		Results []struct {
			Dimensions []string
			Metrics    []float64
			Comparison *struct {
				Metrics []float64
				Change  []*float64
			}
		}
		Meta struct {
			TotalRows int    `json:"total_rows"`
			TimeZone  string `json:"time_zone"`
		}
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
		"metrics": []string{"visitors", "bounce_rate"}, "date_range": "30d", "dimensions": []string{"utm_campaign"},
		"filters": []map[string]any{{"dimension": "utm_campaign", "operator": "is_not", "values": []string{""}}},
		"include": map[string]any{"comparison": "previous_period"},
	}})
	r.JSON(t, &q)
	if r.StatusCode != 200 || len(q.Results) != 1 || q.Results[0].Dimensions[0] != "spring" || q.Results[0].Metrics[0] != 1 ||
		q.Results[0].Metrics[1] != 100 || q.Results[0].Comparison == nil || q.Results[0].Comparison.Change[0] != nil || q.Meta.TimeZone != "Europe/London" {
		t.Errorf("campaign query: %d %s", r.StatusCode, r.Body)
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
		"metrics": []string{"pageviews"}, "date_range": []string{time.Now().AddDate(0, 0, -3).Format(time.DateOnly), time.Now().AddDate(0, 0, 1).Format(time.DateOnly)},
		"dimensions": []string{"time:day", "source"}, "order_by": []map[string]string{{"field": "pageviews", "direction": "desc"}},
	}})
	r.JSON(t, &q)
	if r.StatusCode != 200 || len(q.Results) != 2 || q.Results[0].Dimensions[1] != "Direct / None" || q.Results[0].Metrics[0] != 3 {
		t.Errorf("sources by day: %d %s", r.StatusCode, r.Body)
	}

	// CSV for spreadsheets.
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/source?period=30d", APIKey: key, Header: http.Header{"Accept": {"text/csv"}}})
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || len(rows) != 3 ||
		strings.Join(rows[0], ",") != "source,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events" {
		t.Errorf("CSV: %v %q %q", err, r.Header.Get("Content-Type"), r.Body)
	}

	var rt struct {
		Visitors int
		Pages    []struct {
			Page     string
			Visitors int
		}
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/realtime", APIKey: key})
	r.JSON(t, &rt)
	if rt.Visitors != 2 || len(rt.Pages) != 3 || rt.Pages[0].Page != "/about" {
		t.Errorf("realtime: %s", r.Body)
	}
}

// The counter moves by itself: the periodic River job rolls new events up.
func TestTheCounterStartsFromTheHistoricTotal(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_ROLLUP_INTERVAL": "1s"})
	var c struct {
		TotalVisits      int64 `json:"total_visits"`
		HistoricBaseline int64 `json:"historic_baseline"`
	}
	r := srv.Get("/v1/stats/counter")
	r.JSON(t, &c)
	if c.TotalVisits != 58325 || c.HistoricBaseline != 58325 || !strings.Contains(r.Header.Get("Cache-Control"), "public") {
		t.Fatalf("fresh counter: %s %q", r.Body, r.Header.Get("Cache-Control"))
	}
	if again := srv.Do(apitest.Request{Path: "/v1/stats/counter", Header: http.Header{"If-None-Match": {r.Header.Get("ETag")}}}); again.StatusCode != 304 {
		t.Errorf("revalidation: %d", again.StatusCode)
	}
	for _, ip := range []string{"192.0.2.1", "192.0.2.2"} {
		if r := beacon(srv, `{"url":"https://www.example.org/"}`, http.Header{"X-Forwarded-For": {ip}}); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d", r.StatusCode)
		}
	}
	apitest.Eventually(t, 15*time.Second, "counter includes the new visits", func() bool {
		srv.Get("/v1/stats/counter").JSON(t, &c)
		return c.TotalVisits == 58325+2
	})
}

func TestStatsQueriesAreValidated(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	cases := []struct {
		name     string
		body     map[string]any
		code     string
		location string
	}{
		{"unknown metric", map[string]any{"metrics": []string{"revenue"}, "date_range": "7d"}, "validation-failed", "body.metrics[0]"},
		{"no metrics", map[string]any{"metrics": []string{}, "date_range": "7d"}, "validation-failed", "body.metrics"},
		{"unknown preset", map[string]any{"metrics": []string{"visitors"}, "date_range": "fortnight"}, "validation-failed", "body.date_range"},
		{"reversed dates", map[string]any{"metrics": []string{"visitors"}, "date_range": []string{"2026-03-31", "2026-03-01"}}, "validation-failed", "body.date_range"},
		{"not a date", map[string]any{"metrics": []string{"visitors"}, "date_range": []string{"2026-02-30", "2026-03-01"}}, "validation-failed", ""},
		{"three dates", map[string]any{"metrics": []string{"visitors"}, "date_range": []string{"2026-03-01", "2026-03-02", "2026-03-03"}}, "validation-failed", ""},
		{"too long ago", map[string]any{"metrics": []string{"visitors"}, "date_range": []string{"1990-01-01", "1990-01-02"}}, "validation-failed", "body.date_range"},
		{"two dimensions", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d", "dimensions": []string{"page", "source"}}, "too-many-dimensions", "body.dimensions"},
		{"hour with page", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d", "dimensions": []string{"time:hour", "page"}}, "too-many-dimensions", "body.dimensions"},
		{"hours of a year", map[string]any{"metrics": []string{"visitors"}, "date_range": "12mo", "dimensions": []string{"time:hour"}}, "validation-failed", "body.dimensions"},
		{"filter elsewhere before the raw events kept", map[string]any{"metrics": []string{"visitors"}, "dimensions": []string{"page"},
			"date_range": []string{time.Now().AddDate(-2, 0, 0).Format(time.DateOnly), time.Now().AddDate(-2, 0, 7).Format(time.DateOnly)},
			"filters":    []map[string]any{{"dimension": "source", "operator": "is", "values": []string{"Google"}}}}, "range-beyond-raw-events", "body.date_range"},
		{"hours with a filter", map[string]any{"metrics": []string{"visitors"}, "date_range": "day", "dimensions": []string{"time:hour"},
			"filters": []map[string]any{{"dimension": "source", "operator": "is", "values": []string{"Google"}}}}, "too-many-dimensions", "body.filters[0].dimension"},
		{"bad operator", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d", "dimensions": []string{"page"},
			"filters": []map[string]any{{"dimension": "page", "operator": "like", "values": []string{"/"}}}}, "validation-failed", ""},
		{"order by absent metric", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d",
			"order_by": []map[string]any{{"field": "pageviews"}}}, "validation-failed", "body.order_by[0].field"},
		{"huge page", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d", "pagination": map[string]any{"limit": 1_000_000}}, "validation-failed", ""},
		{"metric twice", map[string]any{"metrics": []string{"visitors", "visitors"}, "date_range": "7d"}, "validation-failed", "body.metrics[1]"},
		{"object as a metric", map[string]any{"metrics": []any{map[string]any{}}, "date_range": "7d"}, "validation-failed", ""},
		{"NUL in a filter", map[string]any{"metrics": []string{"visitors"}, "date_range": "7d", "dimensions": []string{"page"},
			"filters": []map[string]any{{"dimension": "page", "operator": "is", "values": []string{"/news\x00"}}}}, "invalid-text", "body.filters[0].values[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: c.body})
			p := r.Problem(t)
			if r.StatusCode != 422 || p.Code != c.code {
				t.Fatalf("%d %+v, want 422 %s", r.StatusCode, p, c.code)
			}
			if c.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != c.location) {
				t.Errorf("errors %+v, want %s", p.Errors, c.location)
			}
		})
	}
	for path, location := range map[string]string{
		"/v1/stats/summary?period=custom":                           "query.from",
		"/v1/stats/summary?period=7d&from=2026-01-01&to=2026-01-02": "query.period",
		"/v1/stats/summary?from=2026-01-05&to=2026-01-02":           "query.from",
		"/v1/stats/breakdown/page?cursor=bm9wZQ":                    "query.cursor",
	} {
		r := srv.Do(apitest.Request{Path: path, APIKey: key})
		if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Location != location {
			t.Errorf("%s: %d %+v, want 422 at %s", path, r.StatusCode, p, location)
		}
	}
}

// Filters on a dimension the query does not group by keep whole visits:
// the pages of the campaign's visits, the devices of visits that reached
// /join, the visits that never did.
func TestStatsFiltersAcrossDimensions(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	twoVisitors(t, srv)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	query := func(dims []string, filter map[string]any) string {
		t.Helper()
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"visitors", "visits", "pageviews"}, "date_range": "7d", "dimensions": dims,
			"filters": []map[string]any{filter}}})
		var out struct {
			Results []struct {
				Dimensions []string
				Metrics    []float64
			}
		}
		r.JSON(t, &out)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%v %v: %d %s", dims, filter, r.StatusCode, r.Body)
		}
		var rows []string
		for _, row := range out.Results {
			rows = append(rows, strings.Join(row.Dimensions, "|")+fmt.Sprint(row.Metrics))
		}
		return strings.Join(rows, " ")
	}
	for _, c := range []struct {
		dims   []string
		filter map[string]any
		want   string
	}{
		{[]string{"page"}, map[string]any{"dimension": "utm_campaign", "operator": "is", "values": []string{"spring"}}, "/about[1 1 1]"},
		{[]string{"page"}, map[string]any{"dimension": "utm_campaign", "operator": "is", "values": []string{""}}, "/[1 1 1] /about[1 1 1] /join[1 1 1]"},
		{[]string{"device"}, map[string]any{"dimension": "page", "operator": "is", "values": []string{"/join"}}, "Desktop[1 1 3]"},
		{[]string{"device"}, map[string]any{"dimension": "page", "operator": "is_not", "values": []string{"/join"}}, "Mobile[1 1 1]"},
		{[]string{}, map[string]any{"dimension": "page", "operator": "contains", "values": []string{"ABOUT"}}, "[2 2 4]"},
		{[]string{"source"}, map[string]any{"dimension": "entry_page", "operator": "contains_not", "values": []string{"about"}}, "Direct / None[1 1 3]"},
	} {
		if got := query(c.dims, c.filter); got != c.want {
			t.Errorf("%v filtered by %v: %s, want %s", c.dims, c.filter, got, c.want)
		}
	}
}
