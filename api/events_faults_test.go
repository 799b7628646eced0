package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
)

// metricValue reads one sample from /metrics ("" when absent).
func metricValue(t *testing.T, srv *apitest.Server, sample string) string {
	t.Helper()
	for line := range strings.Lines(string(srv.Do(apitest.Request{Path: "/metrics", NoCheck: true}).Body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), sample+" "); ok {
			return v
		}
	}
	return ""
}

// Values PostgreSQL cannot store (a NUL, bytes that are not UTF-8) are
// refused where they enter, wherever in the event they hide, and the events
// after them are written and counted: no input can stop collection.
func TestPoisonEventsAreRefusedAndCollectionGoesOn(t *testing.T) {
	srv := startVisits(t, nil)
	cases := []struct {
		name, path, body, location string
	}{
		{"NUL in a property value", "/v1/events", `{"name":"x","url":"https://www.example.org/x","props":{"k":"a\u0000b"}}`, "body.props"},
		{"NUL in a property name", "/v1/events", `{"name":"x","url":"https://www.example.org/x","props":{"a\u0000":"b"}}`, "body.props"},
		{"NUL in the URL's campaign", "/v1/events", `{"url":"https://www.example.org/x?utm_source=a%00b"}`, "body.url"},
		{"not UTF-8 in the URL's campaign", "/v1/events", `{"url":"https://www.example.org/x?utm_campaign=%ff"}`, "body.url"},
		{"NUL in a campaign field", "/v1/events", `{"url":"https://www.example.org/","utm_term":"a\u0000"}`, "body.utm_term"},
		{"NUL in a relayed User-Agent", "/v1/events/batch", `{"events":[{"url":"https://www.example.org/","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Fo\u0000o/1.0"}]}`, "body.events[0].user_agent"},
		{"NUL in an event ID", "/v1/events/batch", `{"events":[{"url":"https://www.example.org/","id":"a\u0000b"}]}`, "body.events[0].id"},
	}
	for _, c := range cases {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: c.path, Body: c.body,
			Header: http.Header{"Content-Type": {"text/plain"}, "User-Agent": {browserUA}}})
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", c.name, r.StatusCode, r.Body)
			continue
		}
		if p := r.Problem(t); len(p.Errors) == 0 || p.Errors[0].Location != c.location {
			t.Errorf("%s: errors %+v, want location %s", c.name, p.Errors, c.location)
		}
	}
	// A browser's own User-Agent header may carry bytes that are not
	// UTF-8 (HTTP allows them); the event is counted, with a browser name
	// that can be stored.
	if r := beacon(srv, `{"url":"https://www.example.org/odd-agent"}`, http.Header{"User-Agent": {"Mozilla/5.0 (X11; Linux x86_64) Fo\xffo/1.0"}}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("beacon with an odd User-Agent: %d %s", r.StatusCode, r.Body)
	}
	for range 3 {
		if r := beacon(srv, `{"url":"https://www.example.org/after"}`, nil); r.StatusCode != http.StatusAccepted {
			t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
		}
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: batchOf(10, nil)}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 5*time.Second, "the events after the poison written", func() bool { return rawEvents(t, srv) == 14 })
	if v := metricValue(t, srv, "hpa_visits_events_written_total"); v != "14" {
		t.Errorf("hpa_visits_events_written_total %s, want 14", v)
	}
}
