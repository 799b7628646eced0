package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// freshnessBound is how soon after its 202 an event shows in every report
// (docs/statistics.md, "What an answer promises").
const freshnessBound = 5 * time.Second

// An accepted event shows in the summary, the time series, a breakdown,
// a filtered query (read from today's visit rows, which each pass keeps
// current) and the public counter within seconds, with no rollup run by hand and
// the scheduled job an hour away; a returning visitor's next page view
// adds a page view and no visitor.
func TestAnAcceptedEventShowsInEveryReportWithinSeconds(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_ROLLUP_INTERVAL": "1h"})
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	type figures struct{ visitors, pageviews, pagePageviews, seriesPageviews, filteredPageviews, counted int64 }
	read := func() figures {
		var f figures
		var summary struct{ Visitors, Pageviews int64 }
		srv.Do(apitest.Request{Path: "/v1/stats/summary?period=day", APIKey: key}).JSON(t, &summary)
		f.visitors, f.pageviews = summary.Visitors, summary.Pageviews
		var series struct{ Results []struct{ Pageviews int64 } }
		srv.Do(apitest.Request{Path: "/v1/stats/timeseries?period=day&interval=hour", APIKey: key}).JSON(t, &series)
		for _, p := range series.Results {
			f.seriesPageviews += p.Pageviews
		}
		var pages struct {
			Results []struct {
				Value     string
				Pageviews int64
			}
		}
		srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=day", APIKey: key}).JSON(t, &pages)
		for _, p := range pages.Results {
			if p.Value == "/fresh" {
				f.pagePageviews = p.Pageviews
			}
		}
		var filtered struct{ Results []struct{ Metrics []int64 } }
		srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"pageviews"}, "date_range": "day", "dimensions": []string{"device"},
			"filters": []map[string]any{{"dimension": "page", "operator": "is", "values": []string{"/fresh"}}}}}).JSON(t, &filtered)
		for _, r := range filtered.Results {
			f.filteredPageviews += r.Metrics[0]
		}
		var counter struct{ Counted int64 }
		srv.Get("/v1/stats/counter").JSON(t, &counter)
		f.counted = counter.Counted
		return f
	}
	if f := read(); f != (figures{}) {
		t.Fatalf("figures before any event: %+v", f)
	}
	send := func(url string) time.Time {
		r := beacon(srv, `{"url":"`+url+`"}`, http.Header{"User-Agent": {browserUA}, "X-Forwarded-For": {"192.0.2.7"}})
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
		return time.Now()
	}
	accepted := send("https://www.example.org/fresh")
	want := figures{visitors: 1, pageviews: 1, pagePageviews: 1, seriesPageviews: 1, filteredPageviews: 1, counted: 1}
	var got figures
	apitest.Eventually(t, freshnessBound, "the first event in every report", func() bool { got = read(); return got == want })
	t.Logf("first event in every report %s after its 202", time.Since(accepted).Round(time.Millisecond))

	accepted = send("https://www.example.org/fresh?again")
	want = figures{visitors: 1, pageviews: 2, pagePageviews: 2, seriesPageviews: 2, filteredPageviews: 2, counted: 1}
	apitest.Eventually(t, freshnessBound, "the second page view, and still one visitor", func() bool { got = read(); return got == want })
	t.Logf("second event in every report %s after its 202: %+v", time.Since(accepted).Round(time.Millisecond), got)
}
