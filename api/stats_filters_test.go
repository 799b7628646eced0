package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// someVisits records one visit per visitor, each a list of events
// ("/path" for a page view, "name /path" for a custom event), from
// addresses 192.0.2.1, .2…, and rolls them up.
func someVisits(t *testing.T, srv *apitest.Server, visits ...[]string) {
	t.Helper()
	n := 0
	for i, v := range visits {
		for _, e := range v {
			name, path := "pageview", e
			if e[0] != '/' {
				for j := range e {
					if e[j] == ' ' {
						name, path = e[:j], e[j+1:]
						break
					}
				}
			}
			body := `{"name":"` + name + `","url":"https://www.example.org` + path + `","screen_width":` + strconv.Itoa(360+i*300) + `}`
			if r := beacon(srv, body, http.Header{"X-Forwarded-For": {"192.0.2." + strconv.Itoa(i+1)}}); r.StatusCode != http.StatusAccepted {
				t.Fatalf("beacon %s: %d %s", e, r.StatusCode, r.Body)
			}
			n++
		}
	}
	apitest.Eventually(t, 5*time.Second, "events written", func() bool { return rawEvents(t, srv) == int64(n) })
	srv.RollUpVisits(t)
}

// statsQuery posts a query and returns its rows' metrics by their
// dimensions joined with "|".
func statsQuery(t *testing.T, srv *apitest.Server, key string, body map[string]any) map[string][]float64 {
	t.Helper()
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: body})
	var out struct {
		Results []struct {
			Dimensions []string
			Metrics    []float64
		}
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%v: %d %s", body, r.StatusCode, r.Body)
	}
	got := map[string][]float64{}
	for _, row := range out.Results {
		k := ""
		for i, d := range row.Dimensions {
			if i > 0 {
				k += "|"
			}
			k += d
		}
		got[k] = row.Metrics
	}
	return got
}

// Patterns, case options and and/or/not groups keep the visits an
// independent count over the raw events keeps.
func TestStatsFilterGroupsAndPatterns(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	someVisits(t, srv,
		[]string{"/?utm_campaign=Spring-Appeal", "/donate", "donate-clicked /donate", "/donate/thanks"},
		[]string{"/about", "/join"},
		[]string{"/news/2026/a", "/news/2026/b"},
		[]string{"/?utm_campaign=spring-appeal"},
		[]string{"/Donate"},
	)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	// Each visitor made one visit: count visitors over their events.
	independent := func(having string) float64 {
		return float64(count(t, srv, `SELECT count(*) FROM (SELECT visitor_id FROM visit_events GROUP BY visitor_id HAVING `+having+`) v`))
	}
	for _, c := range []struct {
		name   string
		filter map[string]any
		having string
	}{
		{"pattern", map[string]any{"dimension": "page", "operator": "matches", "values": []string{`^/(donate|join)(/thanks)?$`}},
			`bool_or(name = 'pageview' AND pathname ~ '^/(donate|join)(/thanks)?$')`},
		{"pattern ignoring case", map[string]any{"dimension": "page", "operator": "matches", "values": []string{`^/donate$`}, "case_sensitive": false},
			`bool_or(name = 'pageview' AND lower(pathname) = '/donate')`},
		{"no match", map[string]any{"dimension": "page", "operator": "does_not_match", "values": []string{`^/news/\d{4}/`}},
			`NOT bool_or(name = 'pageview' AND pathname ~ '^/news/[0-9]{4}/')`},
		{"contains, case sensitive", map[string]any{"dimension": "utm_campaign", "operator": "contains", "values": []string{"Spring"}, "case_sensitive": true},
			`bool_or(utm_campaign LIKE '%Spring%')`},
		{"or", map[string]any{"operator": "or", "filters": []map[string]any{
			{"dimension": "event_name", "operator": "is", "values": []string{"donate-clicked"}},
			{"dimension": "page", "operator": "is", "values": []string{"/join"}}}},
			`bool_or(name = 'donate-clicked') OR bool_or(pathname = '/join')`},
		{"not and", map[string]any{"operator": "not", "filters": []map[string]any{{"operator": "and", "filters": []map[string]any{
			{"dimension": "utm_campaign", "operator": "contains", "values": []string{"spring"}},
			{"dimension": "page", "operator": "is_not", "values": []string{"/donate"}}}}}},
			`NOT (bool_or(lower(utm_campaign) LIKE '%spring%') AND NOT bool_or(name = 'pageview' AND pathname = '/donate'))`},
	} {
		got := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors", "visits"}, "date_range": "day",
			"filters": []map[string]any{c.filter}})
		if want := independent(c.having); got[""][0] != want || got[""][1] != want || want == 0 {
			t.Errorf("%s: %v, want %v visitors and visits", c.name, got[""], want)
		}
	}
	// On the dimension grouped by, a pattern keeps rows.
	pages := statsQuery(t, srv, key, map[string]any{"metrics": []string{"pageviews"}, "date_range": "day", "dimensions": []string{"page"},
		"filters": []map[string]any{{"dimension": "page", "operator": "matches", "values": []string{`^/donate`}, "case_sensitive": false}}})
	if len(pages) != 3 || pages["/donate"][0] != 1 || pages["/Donate"][0] != 1 || pages["/donate/thanks"][0] != 1 {
		t.Errorf("pages matching ^/donate: %v", pages)
	}
	for name, c := range map[string]struct {
		filter map[string]any
		code   string
		at     string
	}{
		"back-reference":         {map[string]any{"dimension": "page", "operator": "matches", "values": []string{`(a)\1`}}, "invalid-pattern", "body.filters[0].values[0]"},
		"huge repeat":            {map[string]any{"dimension": "page", "operator": "matches", "values": []string{`a{1,5000}`}}, "invalid-pattern", "body.filters[0].values[0]"},
		"not two":                {map[string]any{"operator": "not", "filters": []map[string]any{{"dimension": "page", "operator": "is", "values": []string{"/"}}, {"dimension": "page", "operator": "is", "values": []string{"/"}}}}, "validation-failed", "body.filters[0].filters"},
		"unknown dim":            {map[string]any{"dimension": "shoe_size", "operator": "is", "values": []string{"9"}}, "validation-failed", "body.filters[0].dimension"},
		"group with a dimension": {map[string]any{"operator": "or", "dimension": "page", "filters": []map[string]any{{"dimension": "page", "operator": "is", "values": []string{"/"}}}}, "validation-failed", "body.filters[0]"},
	} {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"visitors"}, "date_range": "day", "filters": []map[string]any{c.filter}}})
		if p := r.Problem(t); r.StatusCode != 422 || p.Code != c.code || len(p.Errors) == 0 || p.Errors[0].Location != c.at {
			t.Errorf("%s: %d %+v, want %s at %s", name, r.StatusCode, p, c.code, c.at)
		}
	}
	// Ten and-groups of two, either of which will do, expand to 1,024
	// clauses: refused, not run.
	var wide []map[string]any
	for range 10 {
		wide = append(wide, map[string]any{"operator": "and", "filters": []map[string]any{
			{"dimension": "page", "operator": "is", "values": []string{"/a"}}, {"dimension": "source", "operator": "is", "values": []string{"b"}}}})
	}
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
		"metrics": []string{"visitors"}, "date_range": "day", "filters": []map[string]any{{"operator": "or", "filters": wide}}}})
	if p := r.Problem(t); r.StatusCode != 422 || p.Code != "filter-too-complex" {
		t.Errorf("wide filter: %d %+v", r.StatusCode, p)
	}
}
