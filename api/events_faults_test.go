package api_test

import (
	"context"
	"fmt"
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
// refused where they enter (422 invalid-text), wherever in the event they
// hide, percent-encoded in the URL included, and the events after them are
// written and counted: no input can stop collection.
func TestPoisonEventsAreRefusedAndCollectionGoesOn(t *testing.T) {
	t.Parallel()
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
		if p := r.Problem(t); p.Code != "invalid-text" || len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Location, c.location) {
			t.Errorf("%s: %s %+v, want invalid-text at %s", c.name, p.Code, p.Errors, c.location)
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

// A server-side sender asks for a durable acknowledgement: the answer
// (200, not 202) comes only once the events are committed, so a relay that
// retries until it gets one loses nothing, and sending the batch again
// (the answer lost, say) counts each event once.
func TestDurableBatchesAreAnsweredOnlyOnceWritten(t *testing.T) {
	t.Parallel()
	// Without durable, events would wait an hour for the writer.
	srv := startVisits(t, map[string]string{"HPA_VISITS_FLUSH_INTERVAL": "1h"})
	ctx := context.Background()
	body := batchOf(20, func(i int) string { return fmt.Sprintf("relay-%d", i) })
	body["durable"] = true

	// Hold the writer at the table, and send.
	locker, err := srv.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = locker.Rollback(ctx) }()
	if _, err := locker.Exec(ctx, `LOCK TABLE visit_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	answered := make(chan *apitest.Response, 1)
	go func() {
		answered <- srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: body})
	}()
	var early *apitest.Response
	apitest.Eventually(t, 5*time.Second, "the writer waiting for the table", func() bool {
		select {
		case early = <-answered:
			return true
		default:
		}
		return count(t, srv, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0
	})
	if early == nil {
		select { // the writer is blocked: an answer now came too soon
		case early = <-answered:
		default:
		}
	}
	if early != nil {
		t.Fatalf("answered %d %s before the events were written", early.StatusCode, early.Body)
	}
	if err := locker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-answered
	var got struct{ Received int }
	if r.JSON(t, &got); r.StatusCode != http.StatusOK || got.Received != 20 {
		t.Fatalf("durable batch: %d %s, want 200 with 20 received", r.StatusCode, r.Body)
	}
	if n := rawEvents(t, srv); n != 20 {
		t.Errorf("%d events stored when the durable answer came, want 20", n)
	}

	// The same batch again, as after a lost answer: counted once.
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: body}); r.StatusCode != http.StatusOK {
		t.Fatalf("durable batch sent again: %d %s", r.StatusCode, r.Body)
	}
	if n := rawEvents(t, srv); n != 20 {
		t.Errorf("%d events stored after the batch was sent twice, want 20", n)
	}

	// Without IDs a retry would count twice, so durable needs them.
	noIDs := batchOf(2, nil)
	noIDs["durable"] = true
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/events/batch", Body: noIDs})
	if p := r.Problem(t); r.StatusCode != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Location != "body.events[0].id" {
		t.Errorf("durable batch without IDs: %d %+v, want 422 at body.events[0].id", r.StatusCode, p)
	}
}
