package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type funnelFigures struct {
	Steps []struct {
		Step               int
		Page               string
		EventName          string `json:"event_name"`
		Visitors, Visits   int64
		DropOff            int64   `json:"drop_off"`
		ConversionRate     float64 `json:"conversion_rate"`
		StepConversionRate float64 `json:"step_conversion_rate"`
	}
	From, To string
}

type savedFunnelDoc struct {
	ID    string
	Name  string
	Steps []map[string]string
}

// donateVisits are the visits the saved funnel tests count: four reach
// /donate, two click, one reaches /donate/thanks after clicking.
func donateVisits(t *testing.T, srv *apitest.Server) {
	t.Helper()
	someVisits(t, srv,
		[]string{"/donate", "donate-clicked /donate", "/donate/thanks"},
		[]string{"/donate", "donate-clicked /donate"},
		[]string{"donate-clicked /", "/donate"},
		[]string{"/donate/thanks", "/donate"},
		[]string{"/about"},
	)
}

// Analysts save a funnel, and evaluating it by ID gives what the ad-hoc
// funnel query gives for the same steps (and an independent count over
// the raw events), filtered or not; it can be renamed, changed, deleted,
// and the export has a file per saved funnel.
func TestSavedFunnelsCountAsTheFunnelQuery(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	donateVisits(t, srv)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	steps := []map[string]any{{"page": "/donate"}, {"event_name": "donate-clicked"}, {"page": "/donate/*"}}

	var saved savedFunnelDoc
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst, Body: map[string]any{"name": "Donate journey", "steps": steps}})
	r.JSON(t, &saved)
	if r.StatusCode != http.StatusCreated || saved.Name != "Donate journey" || len(saved.Steps) != 3 || saved.Steps[1]["event_name"] != "donate-clicked" {
		t.Fatalf("save: %d %s", r.StatusCode, r.Body)
	}
	var list struct{ Items []savedFunnelDoc }
	srv.Do(apitest.Request{Path: "/v1/stats/funnels", APIKey: key}).JSON(t, &list)
	var got savedFunnelDoc
	srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + saved.ID, APIKey: key}).JSON(t, &got)
	if len(list.Items) != 1 || !reflect.DeepEqual(list.Items[0], saved) || !reflect.DeepEqual(got, saved) {
		t.Errorf("list %+v, get %+v, want %+v", list.Items, got, saved)
	}

	adhoc := func(steps []map[string]any, filters []map[string]any) funnelFigures {
		t.Helper()
		body := map[string]any{"date_range": "day", "steps": steps}
		if filters != nil {
			body["filters"] = filters
		}
		var out funnelFigures
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnel", APIKey: key, Body: body}); r.StatusCode != 200 {
			t.Fatalf("ad-hoc funnel: %d %s", r.StatusCode, r.Body)
		} else {
			r.JSON(t, &out)
		}
		return out
	}
	report := func(id, query string) funnelFigures {
		t.Helper()
		var out funnelFigures
		r := srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + id + "/report?period=day" + query, APIKey: key})
		if r.StatusCode != 200 {
			t.Fatalf("report %s: %d %s", query, r.StatusCode, r.Body)
		}
		r.JSON(t, &out)
		return out
	}
	want := adhoc(steps, nil)
	var independent [3]int64
	if err := srv.Pool.QueryRow(t.Context(), `
		WITH s1 AS (SELECT visitor_id, min(ts) AS t FROM visit_events WHERE name = 'pageview' AND pathname = '/donate' GROUP BY 1),
		s2 AS (SELECT e.visitor_id, min(e.ts) AS t FROM visit_events e JOIN s1 USING (visitor_id) WHERE e.name = 'donate-clicked' AND e.ts >= s1.t GROUP BY 1),
		s3 AS (SELECT e.visitor_id FROM visit_events e JOIN s2 USING (visitor_id) WHERE e.name = 'pageview' AND e.pathname LIKE '/donate/%' AND e.ts >= s2.t GROUP BY 1)
		SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3)`).Scan(&independent[0], &independent[1], &independent[2]); err != nil {
		t.Fatal(err)
	}
	gotFigures := report(saved.ID, "")
	if !reflect.DeepEqual(gotFigures, want) || independent[0] != 4 || independent[2] != 1 {
		t.Fatalf("saved funnel %+v, ad-hoc %+v (independent count %v)", gotFigures, want, independent)
	}
	for i, st := range gotFigures.Steps {
		if st.Visitors != independent[i] {
			t.Errorf("step %d: %d visitors, independent count %d", i+1, st.Visitors, independent[i])
		}
	}
	mobile := []map[string]any{{"dimension": "screen_size", "operator": "is", "values": []string{"Mobile"}}}
	filters, _ := json.Marshal(mobile)
	if got, want := report(saved.ID, "&filters="+url.QueryEscape(string(filters))), adhoc(steps, mobile); !reflect.DeepEqual(got, want) || got.Steps[0].Visitors != 1 {
		t.Errorf("filtered: saved %+v, ad-hoc %+v", got, want)
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + saved.ID + "/report?period=day", APIKey: key, Header: http.Header{"Accept": {"text/csv"}}})
	csvRows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || len(csvRows) != 4 || strings.Join(csvRows[3][:4], ",") != "3,/donate/*,,1" {
		t.Errorf("CSV: %v %q", err, r.Body)
	}
	if line := fmt.Sprintf("2,,donate-clicked,%d,%d,%d", want.Steps[1].Visitors, want.Steps[1].Visits, want.Steps[1].DropOff); strings.Join(csvRows[2][:6], ",") != line {
		t.Errorf("CSV step 2: %v, want %s", csvRows[2], line)
	}

	// The export has the funnel's figures, as its own CSV report.
	r = srv.Do(apitest.Request{Path: "/v1/stats/export?period=day", APIKey: key})
	files := unzipCSV(t, r.Body)
	if rows := files["funnel-donate-journey.csv"]; !reflect.DeepEqual(rows, csvRows) || strings.Join(rows[0], ",") != "step,page,event_name,visitors,visits,drop_off,conversion_rate,step_conversion_rate" {
		t.Errorf("export: %v, want %v (files %d)", rows, csvRows, len(files))
	}

	// Changed: the new steps count from then on, over any range.
	r = srv.Do(apitest.Request{Method: http.MethodPut, Path: "/v1/stats/funnels/" + saved.ID, Token: analyst,
		Body: map[string]any{"name": "Donate clicks", "steps": []map[string]any{{"event_name": "donate-clicked"}, {"page": "/donate"}}}})
	r.JSON(t, &got)
	if r.StatusCode != 200 || got.Name != "Donate clicks" || len(got.Steps) != 2 {
		t.Errorf("update: %d %s", r.StatusCode, r.Body)
	}
	if got, want := report(saved.ID, ""), adhoc([]map[string]any{{"event_name": "donate-clicked"}, {"page": "/donate"}}, nil); !reflect.DeepEqual(got, want) || len(got.Steps) != 2 {
		t.Errorf("changed funnel: %+v, ad-hoc %+v", got, want)
	}

	var other savedFunnelDoc
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst,
		Body: map[string]any{"name": "Join journey", "steps": []map[string]any{{"page": "/join"}, {"page": "/join/thanks"}}}}).JSON(t, &other)
	nine := make([]map[string]any, 9)
	for i := range nine {
		nine[i] = map[string]any{"page": fmt.Sprintf("/step/%d", i)}
	}
	unknown := uuid.NewString()
	for name, c := range map[string]struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		"same name":         {"POST", "/v1/stats/funnels", map[string]any{"name": "Join journey", "steps": steps}, 409, "funnel-exists"},
		"renamed as other":  {"PUT", "/v1/stats/funnels/" + saved.ID, map[string]any{"name": "Join journey", "steps": steps}, 409, "funnel-exists"},
		"nine steps":        {"POST", "/v1/stats/funnels", map[string]any{"name": "Nine", "steps": nine}, 422, "validation-failed"},
		"one step":          {"POST", "/v1/stats/funnels", map[string]any{"name": "One", "steps": steps[:1]}, 422, "validation-failed"},
		"name too long":     {"POST", "/v1/stats/funnels", map[string]any{"name": strings.Repeat("é", 31), "steps": steps}, 422, "validation-failed"},
		"NUL in name":       {"POST", "/v1/stats/funnels", map[string]any{"name": "Don\x00ate", "steps": steps}, 422, ""},
		"NUL in page":       {"POST", "/v1/stats/funnels", map[string]any{"name": "NUL", "steps": []map[string]any{{"page": "/do\x00nate"}, {"page": "/a"}}}, 422, ""},
		"NUL in event":      {"PUT", "/v1/stats/funnels/" + saved.ID, map[string]any{"name": "NUL", "steps": []map[string]any{{"event_name": "a\x00"}, {"page": "/a"}}}, 422, ""},
		"spaces round name": {"POST", "/v1/stats/funnels", map[string]any{"name": " Donate ", "steps": steps}, 422, "validation-failed"},
		"both in a step":    {"POST", "/v1/stats/funnels", map[string]any{"name": "Both", "steps": []map[string]any{{"page": "/", "event_name": "x"}, {"page": "/a"}}}, 422, "validation-failed"},
		"not a path":        {"POST", "/v1/stats/funnels", map[string]any{"name": "Path", "steps": []map[string]any{{"page": "donate"}, {"page": "/a"}}}, 422, "validation-failed"},
		"get unknown":       {"GET", "/v1/stats/funnels/" + unknown, nil, 404, "not-found"},
		"get not an ID":     {"GET", "/v1/stats/funnels/not-an-id", nil, 404, "not-found"},
		"report unknown":    {"GET", "/v1/stats/funnels/" + unknown + "/report", nil, 404, "not-found"},
		"update unknown":    {"PUT", "/v1/stats/funnels/" + unknown, map[string]any{"name": "X", "steps": steps}, 404, "not-found"},
		"delete unknown":    {"DELETE", "/v1/stats/funnels/" + unknown, nil, 404, "not-found"},
		"filters not JSON":  {"GET", "/v1/stats/funnels/" + saved.ID + "/report?filters=%5B", nil, 422, "validation-failed"},
		"filter unknown dimension": {"GET", "/v1/stats/funnels/" + saved.ID + "/report?filters=" +
			url.QueryEscape(`[{"dimension":"email","operator":"is","values":["x"]}]`), nil, 422, "validation-failed"},
		"filter NUL": {"GET", "/v1/stats/funnels/" + saved.ID + "/report?filters=" +
			url.QueryEscape(`[{"dimension":"page","operator":"is","values":["/\u0000"]}]`), nil, 422, ""},
		"filter unknown field": {"GET", "/v1/stats/funnels/" + saved.ID + "/report?filters=" +
			url.QueryEscape(`[{"dimension":"page","operator":"is","values":["/"],"sql":"1"}]`), nil, 422, "validation-failed"},
		"range beyond raw events": {"GET", "/v1/stats/funnels/" + saved.ID + "/report?period=custom&from=2001-01-01&to=2001-01-31", nil, 422, "range-beyond-raw-events"},
	} {
		r := srv.Do(apitest.Request{Method: c.method, Path: c.path, Token: analyst, Body: c.body})
		if p := r.Problem(t); r.StatusCode != c.status || c.code != "" && p.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.StatusCode, r.Body, c.status, c.code)
		}
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", APIKey: key, Body: map[string]any{"name": "Key", "steps": steps}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a stats key saved a funnel: %d", r.StatusCode)
	}

	// At most 10 funnels: the 11th is refused until one goes.
	for i := len(list.Items) + 2; i <= 10; i++ {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst,
			Body: map[string]any{"name": fmt.Sprintf("Funnel %d", i), "steps": steps}}); r.StatusCode != http.StatusCreated {
			t.Fatalf("funnel %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst, Body: map[string]any{"name": "One too many", "steps": steps}})
	if p := r.Problem(t); r.StatusCode != http.StatusConflict || p.Code != "too-many-funnels" {
		t.Errorf("11th funnel: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/funnels/" + saved.ID, Token: analyst}); r.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + saved.ID + "/report", APIKey: key}); r.StatusCode != http.StatusNotFound {
		t.Errorf("report of a deleted funnel: %d", r.StatusCode)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst, Body: map[string]any{"name": "One too many", "steps": steps}}); r.StatusCode != http.StatusCreated {
		t.Errorf("after a delete: %d %s", r.StatusCode, r.Body)
	}
}

// Saves at the same moment never pass the bound: counting the funnels
// and adding one are a single step.
func TestSavedFunnelBoundHoldsUnderConcurrentSaves(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	save := func(name string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst,
			Body: map[string]any{"name": name, "steps": []map[string]any{{"page": "/"}, {"page": "/donate"}}}})
	}
	for i := range 8 {
		if r := save(fmt.Sprintf("Funnel %d", i)); r.StatusCode != http.StatusCreated {
			t.Fatalf("funnel %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	statuses := make(chan int, 6)
	for i := range 6 {
		go func() { statuses <- save(fmt.Sprintf("Concurrent %d", i)).StatusCode }()
	}
	created := 0
	for range 6 {
		switch s := <-statuses; s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("concurrent save: %d", s)
		}
	}
	if n := count(t, srv, `SELECT count(*) FROM visit_funnels`); created != 2 || n != 10 {
		t.Errorf("%d saved at once, %d funnels kept; want 2 and 10", created, n)
	}
}
