package api_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// A link from facebook.com and a campaign tagged utm_source=facebook (or
// FB) are one source, Facebook, not three; utm_source itself keeps what
// the links said.
func TestKnownSourcesAreCountedOnceWhateverTheirSpelling(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	for ip, body := range map[string]string{
		"192.0.2.1": `{"url":"https://www.example.org/","referrer":"https://www.facebook.com/"}`,
		"192.0.2.2": `{"url":"https://www.example.org/?utm_source=facebook"}`,
		"192.0.2.3": `{"url":"https://www.example.org/?utm_source=FB"}`,
		"192.0.2.4": `{"url":"https://www.example.org/?utm_source=parish-newsletter"}`,
	} {
		if r := beacon(srv, body, http.Header{"X-Forwarded-For": {ip}}); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
	}
	apitest.Eventually(t, 5*time.Second, "events written", func() bool { return rawEvents(t, srv) == 4 })
	srv.RollUpVisits(t)
	values := func(dim string) map[string]int64 {
		var out struct {
			Results []struct {
				Value    string
				Visitors int64
			}
		}
		srv.Do(apitest.Request{Path: "/v1/stats/breakdown/" + dim + "?period=day", APIKey: key}).JSON(t, &out)
		got := map[string]int64{}
		for _, r := range out.Results {
			got[r.Value] = r.Visitors
		}
		return got
	}
	// Independently: visitors whose referrer or utm_source names Facebook.
	want := count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events
		WHERE referrer LIKE 'facebook.com%' OR lower(utm_source) IN ('facebook', 'fb')`)
	sources := values("source")
	if want != 3 || sources["Facebook"] != want || len(sources) != 2 || sources["parish-newsletter"] != 1 {
		t.Errorf("sources %v, want Facebook %d and parish-newsletter 1", sources, want)
	}
	if utm := values("utm_source"); utm["facebook"] != 1 || utm["FB"] != 1 {
		t.Errorf("utm_source %v keeps what the links said", utm)
	}
}

// interval=hour covers at most 31 days, as documented, and the error
// names the parameter the request has.
func TestHourlySeriesCoverAtMost31Days(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	london, _ := time.LoadLocation("Europe/London")
	today := time.Now().In(london)
	path := func(days int) string {
		return "/v1/stats/timeseries?interval=hour&period=custom&from=" + today.AddDate(0, 0, 1-days).Format(time.DateOnly) +
			"&to=" + today.Format(time.DateOnly)
	}
	if r := srv.Do(apitest.Request{Path: path(31), APIKey: key}); r.StatusCode != http.StatusOK {
		t.Errorf("31 days: %d %s", r.StatusCode, r.Body)
	}
	r := srv.Do(apitest.Request{Path: path(32), APIKey: key})
	if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "query.interval" {
		t.Errorf("32 days: %d %+v, want 422 at query.interval", r.StatusCode, p)
	}
}

// Every report answers CSV when asked, realtime included, and a 406 when
// asked for a format it does not have.
func TestStatsReportsNegotiateTheirFormat(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	twoVisitors(t, srv)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	r := srv.Do(apitest.Request{Path: "/v1/stats/realtime", APIKey: key, Header: http.Header{"Accept": {"text/csv"}}})
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || len(rows) != 5 ||
		strings.Join(rows[1], ",") != ",2,4,300" || rows[2][0] != "/about" || rows[2][1] != "2" {
		t.Errorf("realtime CSV: %v %q %q", err, r.Header.Get("Content-Type"), r.Body)
	}
	reports := []apitest.Request{
		{Path: "/v1/stats/realtime"}, {Path: "/v1/stats/summary"}, {Path: "/v1/stats/timeseries"}, {Path: "/v1/stats/breakdown/page"},
		{Method: http.MethodPost, Path: "/v1/stats/query", Body: map[string]any{"metrics": []string{"visitors"}, "date_range": "7d"}},
	}
	for _, accept := range []struct{ header, want string }{
		{"text/html", "406"}, {"application/xml, text/plain;q=0.5", "406"}, {"text/csv;q=0, application/json;q=0", "406"},
		{"*/*", "application/json"}, {"text/*", "text/csv"}, {"application/json;q=0.5, text/csv", "text/csv"},
		{"text/html, */*;q=0.1", "application/json"},
	} {
		for _, req := range reports {
			req.APIKey, req.Header = key, http.Header{"Accept": {accept.header}}
			r := srv.Do(req)
			got := strings.Split(r.Header.Get("Content-Type"), ";")[0]
			if accept.want == "406" {
				if p := r.Problem(t); r.StatusCode != http.StatusNotAcceptable || p.Code != "not-acceptable" {
					t.Errorf("%s with Accept %q: %d %s", req.Path, accept.header, r.StatusCode, r.Body)
				}
			} else if r.StatusCode != http.StatusOK || got != accept.want {
				t.Errorf("%s with Accept %q: %d %s, want %s", req.Path, accept.header, r.StatusCode, got, accept.want)
			}
		}
	}
}

// Without a GeoIP database, a batch relaying visitors keeps the country a
// trusted proxy's header gives.
func TestRelayedEventsKeepTheTrustedCountryHeader(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_COUNTRY_HEADER": "CF-IPCountry"})
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Header: http.Header{"CF-IPCountry": {"IE"}},
		Body: map[string]any{"events": []map[string]any{{"url": "https://www.example.org/relayed", "ip": "198.51.100.9", "user_agent": browserUA}}}})
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 5*time.Second, "event written", func() bool { return rawEvents(t, srv) == 1 })
	if n := count(t, srv, `SELECT count(*) FROM visit_events WHERE country = 'IE'`); n != 1 {
		t.Errorf("relayed event placed in IE: %d", n)
	}
}
