package api_test

import (
	"math"
	"net/http"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// Staff define goals; reports give each goal's visitors, completions and
// conversion rate, and keep the visits that reached a goal, as an
// independent count over the raw events does.
func TestGoalsAndConversions(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	someVisits(t, srv,
		[]string{"/?utm_campaign=spring", "/donate", "donate-clicked /donate", "/donate/thanks"},
		[]string{"/about", "/join", "/join/thanks"},
		[]string{"/news/a"},
		[]string{"/donate", "donate-clicked /donate", "donate-clicked /donate"},
		[]string{"/join"},
		[]string{"/donate"},
	)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	for _, g := range []map[string]any{
		{"name": "Donated", "page_path": "/donate/thanks"},
		{"name": "Donate clicked", "event_name": "donate-clicked"},
		{"name": "Joined", "page_path": "/join/**"},
	} {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/goals", Token: analyst, Body: g}); r.StatusCode != http.StatusCreated {
			t.Fatalf("create goal %v: %d %s", g, r.StatusCode, r.Body)
		}
	}
	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"same name":      {map[string]any{"name": "Joined", "event_name": "join-clicked"}, 409, "goal-exists"},
		"both":           {map[string]any{"name": "Both", "event_name": "x", "page_path": "/x"}, 422, "validation-failed"},
		"neither":        {map[string]any{"name": "Neither"}, 422, "validation-failed"},
		"not a path":     {map[string]any{"name": "Path", "page_path": "donate"}, 422, "validation-failed"},
		"pageview event": {map[string]any{"name": "Views", "event_name": "pageview"}, 422, "validation-failed"},
	} {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/goals", Token: analyst, Body: c.body})
		if p := r.Problem(t); r.StatusCode != c.status || p.Code != c.code {
			t.Errorf("%s: %d %+v, want %d %s", name, r.StatusCode, p, c.status, c.code)
		}
	}
	var list struct{ Goals []struct{ ID, Name string } }
	srv.Do(apitest.Request{Path: "/v1/stats/goals", APIKey: key}).JSON(t, &list)
	if len(list.Goals) != 3 || list.Goals[0].Name != "Donate clicked" {
		t.Fatalf("goals: %+v", list.Goals)
	}

	total := float64(count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events`))
	rate := func(n float64) float64 { return math.Round(n/total*1000) / 10 }
	rows := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors", "events", "conversion_rate"}, "date_range": "day",
		"dimensions": []string{"goal"}})
	for goal, where := range map[string]string{
		"Donated":        `name = 'pageview' AND pathname = '/donate/thanks'`,
		"Donate clicked": `name = 'donate-clicked'`,
		"Joined":         `name = 'pageview' AND pathname LIKE '/join/%'`,
	} {
		visitors := float64(count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events WHERE `+where))
		events := float64(count(t, srv, `SELECT count(*) FROM visit_events WHERE `+where))
		if got := rows[goal]; len(got) != 3 || got[0] != visitors || got[1] != events || got[2] != rate(visitors) || visitors == 0 {
			t.Errorf("%s: %v, want %v visitors, %v events, %v%%", goal, got, visitors, events, rate(visitors))
		}
	}

	// A goal filter keeps the visits that reached it; conversion_rate is
	// then a share of each page's visitors.
	pages := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors", "conversion_rate"}, "date_range": "day",
		"dimensions": []string{"page"}, "filters": []map[string]any{{"dimension": "goal", "operator": "is", "values": []string{"Donate clicked"}}}})
	for _, page := range []string{"/", "/donate", "/donate/thanks"} {
		converted := float64(count(t, srv, `SELECT count(*) FROM (SELECT visitor_id FROM visit_events GROUP BY visitor_id
			HAVING bool_or(name = 'donate-clicked') AND bool_or(name = 'pageview' AND pathname = $1)) v`, page))
		all := float64(count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events WHERE name = 'pageview' AND pathname = $1`, page))
		if got := pages[page]; len(got) != 2 || got[0] != converted || got[1] != math.Round(converted/all*1000)/10 {
			t.Errorf("%s: %v, want %v visitors of %v", page, got, converted, all)
		}
	}
	if len(pages) != 3 {
		t.Errorf("pages of converted visits: %v", pages)
	}
	notJoined := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors"}, "date_range": "day",
		"filters": []map[string]any{{"dimension": "goal", "operator": "is_not", "values": []string{"Joined", "Donated"}}}})
	if want := float64(count(t, srv, `SELECT count(*) FROM (SELECT visitor_id FROM visit_events GROUP BY visitor_id
		HAVING NOT bool_or(pathname LIKE '/join/%' OR pathname = '/donate/thanks')) v`)); notJoined[""][0] != want {
		t.Errorf("visits reaching neither goal: %v, want %v", notJoined, want)
	}

	for name, body := range map[string]map[string]any{
		"unknown-goal": {"metrics": []string{"visitors"}, "date_range": "day",
			"filters": []map[string]any{{"dimension": "goal", "operator": "is", "values": []string{"Volunteered"}}}},
		"validation-failed": {"metrics": []string{"conversion_rate"}, "date_range": "day", "dimensions": []string{"page"}},
	} {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: body})
		if p := r.Problem(t); r.StatusCode != 422 || p.Code != name {
			t.Errorf("%s: %d %+v", name, r.StatusCode, p)
		}
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/goals", APIKey: key, Body: map[string]any{"name": "X", "event_name": "x"}}); r.StatusCode != http.StatusUnauthorized && r.StatusCode != http.StatusForbidden {
		t.Errorf("a stats key defined a goal: %d", r.StatusCode)
	}
	id := list.Goals[2].ID
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/goals/" + id, Token: analyst}); r.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/goals/" + id, Token: analyst}); r.StatusCode != http.StatusNotFound {
		t.Errorf("delete again: %d", r.StatusCode)
	}
}
