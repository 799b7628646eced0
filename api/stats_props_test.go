package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// Custom properties sent with events, and the screen size class, are
// dimensions and filters like any other, as an independent count over the
// raw events says.
func TestCustomPropertiesAndScreenSizes(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	events := []struct{ ip, body string }{
		{"192.0.2.1", `{"url":"https://www.example.org/donate","screen_width":360}`},
		{"192.0.2.1", `{"name":"donate-clicked","url":"https://www.example.org/donate","screen_width":360,"props":{"amount":"10","method":"card"}}`},
		{"192.0.2.2", `{"url":"https://www.example.org/donate","screen_width":1500}`},
		{"192.0.2.2", `{"name":"donate-clicked","url":"https://www.example.org/donate","screen_width":1500,"props":{"amount":"25","method":"card"}}`},
		{"192.0.2.2", `{"name":"donate-clicked","url":"https://www.example.org/donate","screen_width":1500,"props":{"amount":"10","method":"paypal"}}`},
		{"192.0.2.3", `{"url":"https://www.example.org/","screen_width":800}`},
		{"192.0.2.4", `{"url":"https://www.example.org/about"}`},
	}
	for _, e := range events {
		if r := beacon(srv, e.body, http.Header{"X-Forwarded-For": {e.ip}}); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
	}
	apitest.Eventually(t, 5*time.Second, "events written", func() bool { return rawEvents(t, srv) == int64(len(events)) })
	srv.RollUpVisits(t)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)

	amounts := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors", "events"}, "date_range": "day",
		"dimensions": []string{"event:props:amount"}})
	for _, v := range []string{"10", "25"} {
		visitors := float64(count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events WHERE props->>'amount' = $1`, v))
		n := float64(count(t, srv, `SELECT count(*) FROM visit_events WHERE props->>'amount' = $1`, v))
		if got := amounts[v]; len(got) != 2 || got[0] != visitors || got[1] != n {
			t.Errorf("amount %s: %v, want %v visitors %v events", v, got, visitors, n)
		}
	}
	if len(amounts) != 2 {
		t.Errorf("amounts: %v", amounts)
	}

	// Screen classes of each visit's first event.
	sizes := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors"}, "date_range": "day", "dimensions": []string{"screen_size"}})
	for class, where := range map[string]string{"Mobile": "w > 0 AND w < 576", "Tablet": "w >= 576 AND w < 992", "Desktop": "w >= 1440", "": "w = 0"} {
		want := float64(count(t, srv, `SELECT count(*) FROM (SELECT DISTINCT ON (visitor_id) visitor_id, screen_width AS w FROM visit_events ORDER BY visitor_id, ts) f WHERE `+where))
		if got := sizes[class]; len(got) != 1 || got[0] != want {
			t.Errorf("screen %q: %v, want %v", class, got, want)
		}
	}

	// A property filter keeps the visits with a matching event.
	byScreen := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors"}, "date_range": "day", "dimensions": []string{"screen_size"},
		"filters": []map[string]any{{"dimension": "event:props:method", "operator": "is", "values": []string{"paypal"}}}})
	if fmt.Sprint(byScreen) != "map[Desktop:[1]]" {
		t.Errorf("screens of PayPal visits: %v", byScreen)
	}
	noCard := statsQuery(t, srv, key, map[string]any{"metrics": []string{"visitors"}, "date_range": "day",
		"filters": []map[string]any{{"dimension": "event:props:method", "operator": "is_not", "values": []string{"card"}}}})
	if want := float64(count(t, srv, `SELECT count(*) FROM (SELECT visitor_id FROM visit_events GROUP BY visitor_id
		HAVING NOT coalesce(bool_or(props->>'method' = 'card'), false)) v`)); noCard[""][0] != want {
		t.Errorf("visits without a card payment: %v, want %v", noCard, want)
	}
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
		"metrics": []string{"visitors"}, "date_range": "day", "dimensions": []string{"event:props:"}}})
	if r.StatusCode != 422 {
		t.Errorf("a property without a name: %d", r.StatusCode)
	}
}

// A site admits a bounded number of property names (HPA_VISITS_MAX_PROP_KEYS):
// properties with names beyond it are left out of the events, which are
// still counted, so property names cannot grow the dimensions without end.
func TestPropertyNamesAreBounded(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_MAX_PROP_KEYS": "2"})
	for i, body := range []string{
		`{"name":"donate-clicked","url":"https://www.example.org/donate","props":{"amount":"10","method":"card","zzz":"1"}}`,
		`{"name":"donate-clicked","url":"https://www.example.org/donate","props":{"amount":"25","other":"x"}}`,
		`{"name":"donate-clicked","url":"https://www.example.org/donate","props":{"unique-1234":"y"}}`,
	} {
		if r := beacon(srv, body, http.Header{"X-Forwarded-For": {"192.0.2.1"}}); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
		apitest.Eventually(t, 5*time.Second, "event written", func() bool { return rawEvents(t, srv) == int64(i+1) })
	}
	if n := count(t, srv, `SELECT count(*) FROM visit_prop_keys`); n != 2 {
		t.Errorf("%d property names admitted, want 2", n)
	}
	if got := count(t, srv, `SELECT count(*) FROM visit_events WHERE props ?| ARRAY['zzz', 'other', 'unique-1234']`); got != 0 {
		t.Errorf("%d events kept a property beyond the bound", got)
	}
	if got := count(t, srv, `SELECT count(*) FROM visit_events WHERE props IS NULL`); got != 1 {
		t.Errorf("%d events without properties left, want the one whose only property was beyond the bound", got)
	}
	srv.RollUpVisits(t)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	amounts := statsQuery(t, srv, key, map[string]any{"metrics": []string{"events"}, "date_range": "day", "dimensions": []string{"event:props:amount"}})
	if fmt.Sprint(amounts) != "map[10:[1] 25:[1]]" {
		t.Errorf("amounts: %v", amounts)
	}
	if others := statsQuery(t, srv, key, map[string]any{"metrics": []string{"events"}, "date_range": "day", "dimensions": []string{"event:props:other"}}); len(others) != 0 {
		t.Errorf("a property beyond the bound: %v", others)
	}
	if events := statsQuery(t, srv, key, map[string]any{"metrics": []string{"events"}, "date_range": "day"}); events[""][0] != 3 {
		t.Errorf("events: %v, want all 3 counted", events)
	}
}
