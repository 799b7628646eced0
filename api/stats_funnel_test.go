package api_test

import (
	"encoding/csv"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// A funnel counts the visitors who reached each step after the ones
// before it, in order, as an independent count over raw events does.
func TestFunnelsFollowStepsInOrder(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	someVisits(t, srv,
		[]string{"/donate", "donate-clicked /donate", "/donate/thanks"},
		[]string{"/donate", "donate-clicked /donate"},
		[]string{"donate-clicked /", "/donate"},
		[]string{"/donate/thanks", "/donate"},
		[]string{"/about"},
	)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	var want [3]int64
	if err := srv.Pool.QueryRow(t.Context(), `
		WITH s1 AS (SELECT visitor_id, min(ts) AS t FROM visit_events WHERE name = 'pageview' AND pathname = '/donate' GROUP BY 1),
		s2 AS (SELECT e.visitor_id, min(e.ts) AS t FROM visit_events e JOIN s1 USING (visitor_id) WHERE e.name = 'donate-clicked' AND e.ts >= s1.t GROUP BY 1),
		s3 AS (SELECT e.visitor_id FROM visit_events e JOIN s2 USING (visitor_id) WHERE e.name = 'pageview' AND e.pathname LIKE '/donate/%' AND e.ts >= s2.t GROUP BY 1)
		SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3)`).Scan(&want[0], &want[1], &want[2]); err != nil {
		t.Fatal(err)
	}
	steps := []map[string]any{{"page": "/donate"}, {"event_name": "donate-clicked"}, {"page": "/donate/*"}}
	var out struct {
		Steps []struct {
			Visitors       int64
			DropOff        int64 `json:"drop_off"`
			Visits         int64
			ConversionRate float64 `json:"conversion_rate"`
		}
	}
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnel", APIKey: key, Body: map[string]any{"date_range": "day", "steps": steps}})
	r.JSON(t, &out)
	if r.StatusCode != 200 || len(out.Steps) != 3 || want[0] != 4 || want[2] != 1 {
		t.Fatalf("%d %s (independent count %v)", r.StatusCode, r.Body, want)
	}
	for i, st := range out.Steps {
		if st.Visitors != want[i] || st.Visits != want[i] {
			t.Errorf("step %d: %+v, want %d", i+1, st, want[i])
		}
	}
	if out.Steps[1].DropOff != want[0]-want[1] || out.Steps[2].ConversionRate != math.Round(float64(want[2])/float64(want[0])*1000)/10 {
		t.Errorf("drop-off and conversion: %+v", out.Steps)
	}
	// Filtered like everything else: only the first visitor's phone.
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnel", APIKey: key, Body: map[string]any{"date_range": "day", "steps": steps,
		"filters": []map[string]any{{"dimension": "screen_size", "operator": "is", "values": []string{"Mobile"}}}}})
	r.JSON(t, &out)
	if out.Steps[0].Visitors != 1 || out.Steps[2].Visitors != 1 {
		t.Errorf("mobile funnel: %s", r.Body)
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnel", APIKey: key, Header: http.Header{"Accept": {"text/csv"}},
		Body: map[string]any{"date_range": "day", "steps": steps}})
	if rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll(); err != nil || len(rows) != 4 || strings.Join(rows[3][:4], ",") != "3,/donate/*,,1" {
		t.Errorf("funnel CSV: %v %q", err, r.Body)
	}
	for name, body := range map[string]map[string]any{
		"one step":   {"date_range": "day", "steps": steps[:1]},
		"both":       {"date_range": "day", "steps": []map[string]any{{"page": "/", "event_name": "x"}, {"page": "/a"}}},
		"not a path": {"date_range": "day", "steps": []map[string]any{{"page": "donate"}, {"page": "/a"}}},
	} {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnel", APIKey: key, Body: body}); r.StatusCode != 422 {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
}
