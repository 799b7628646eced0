package api

// Fuzz targets for the untrusted input of visit statistics: a browser's
// beacon, a server-side sender's batch and a stats query. Each decodes the
// body as the handler does and hands it to a real visits.Service over a
// real database. Anything refused must be refused as a problem (4xx), and
// anything accepted must be stored: each accepted event is collected
// durably, so the check is PostgreSQL's own, and nothing may end up in the
// quarantine (a value validation let through that the database refused).
// `make fuzz-visits` runs each for a few seconds; the seeds are in
// testdata/fuzz.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/visits"
	"github.com/prometheus/client_golang/prometheus"
)

// fuzzNow is the service's clock: fixed, so that seeds with timestamps
// stay within the last 24 hours, and at 00:30 UTC on the first of a month,
// so that those 24 hours reach into a month that needs a partition made.
var fuzzNow = time.Date(2026, 6, 1, 0, 30, 0, 0, time.UTC)

// fuzzBrowser is the User-Agent of the client sending a batch.
const fuzzBrowser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

// fuzzService is a running visits.Service on a fresh database, counting
// www.example.org and *.example.net, with its metrics in reg.
type fuzzService struct {
	*visits.Service
	reg *prometheus.Registry
	ids atomic.Int64
}

func startFuzzService(f *testing.F) *fuzzService {
	f.Helper()
	settings := visits.Settings{
		Hostnames: []string{"www.example.org", "*.example.net"}, TimeZone: hpa.London, HonourDNT: true, BufferSize: 100_000,
		FlushInterval: time.Hour, BatchSize: 10_000, VisitorRateLimit: 1 << 30, RawRetentionDays: 400, RollupInterval: time.Hour,
	}
	reg := prometheus.NewRegistry()
	s := &fuzzService{Service: visits.NewService(pgtest.Pool(f), visits.Deps{Metrics: reg}, settings, func() time.Time { return fuzzNow }), reg: reg}
	ctx, stop := context.WithCancel(context.Background())
	s.Run(ctx)
	f.Cleanup(func() { stop(); <-s.Stopped() })
	return s
}

// collect stores events durably, giving each without an ID a fresh one
// (a durable sender must send IDs), and fails t if an accepted event was
// not stored as it is.
func (s *fuzzService) collect(t *testing.T, client visits.Client, events []visits.Event) {
	for i := range events {
		if events[i].ID == "" {
			events[i].ID = fmt.Sprintf("fuzz-%d", s.ids.Add(1))
		}
	}
	refused := s.refused(t)
	err := s.CollectDurable(context.Background(), client, events, func(i int) string { return fmt.Sprintf("body.events[%d].", i) })
	var e *hpa.Error
	switch {
	case err == nil:
	case errors.As(err, &e) && e.Code == hpa.EINVALID:
		return
	case errors.As(err, &e) && e.Code == hpa.EUNAVAILABLE:
		return // the shared database was slow: nothing learned either way
	default:
		t.Fatalf("collect: %v", err)
	}
	if s.refused(t) != refused {
		t.Fatalf("an accepted event could not be stored: %+v", events)
	}
}

// refused counts the events the database refused: those quarantined and
// those dropped as unstorable.
func (s *fuzzService) refused(t *testing.T) float64 {
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			unstorable := len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == "unstorable"
			if mf.GetName() == "hpa_visits_events_quarantined_total" || mf.GetName() == "hpa_visits_events_dropped_total" && unstorable {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// fuzzRequest is the request context decodeEventBody reads.
func fuzzRequest(path, contentType string) context.Context {
	return context.WithValue(context.Background(), eventRequestKey{}, eventRequest{path: path, contentType: contentType})
}

// checkRefusal fails t if err would be answered 500: anything but a
// problem the handler made or a domain error other than EINTERNAL (a 503
// from a slow shared database is no finding).
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var p *Problem
	if errors.As(err, &p) && p.Status < 500 {
		return
	}
	if code := hpa.ErrorCode(err); code != hpa.EINTERNAL && domainStatus[code] != 0 {
		return
	}
	t.Fatalf("answered 500: %v", err)
}

// validHeaderValue reports whether an HTTP server would pass v on as a
// header's value (no control characters but tab).
func validHeaderValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

func FuzzEventBeaconBody(f *testing.F) {
	s := startFuzzService(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType, userAgent string) {
		if !validHeaderValue(contentType) || !validHeaderValue(userAgent) {
			t.Skip("not a header an HTTP server would accept")
		}
		var b pageEvent
		if err := decodeEventBody(fuzzRequest("/v1/events", contentType), body, &b); err != nil {
			checkRefusal(t, err)
			return
		}
		s.collect(t, visits.Client{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: userAgent}, []visits.Event{b.event()})
	})
}

func FuzzEventBatchBody(f *testing.F) {
	s := startFuzzService(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var b eventBatch
		if err := decodeEventBody(fuzzRequest("/v1/events/batch", "application/json"), body, &b); err != nil {
			checkRefusal(t, err)
			return
		}
		if len(b.Events) == 0 || len(b.Events) > visits.MaxBatch {
			return // refused by the handler
		}
		s.collect(t, visits.Client{IP: netip.MustParseAddr("198.51.100.8"), UserAgent: fuzzBrowser}, b.events())
	})
}

func FuzzStatsQueryBody(f *testing.F) {
	s := startFuzzService(f)
	// Decode as huma does: validate the JSON against the contract's
	// schema, then unmarshal the valid.
	registry := huma.DefaultConfig("fuzz", "0").Components.Schemas
	field, _ := reflect.TypeFor[statsQueryInput]().FieldByName("Body")
	schema := registry.Schema(field.Type, true, "")
	f.Fuzz(func(t *testing.T, body []byte) {
		var parsed any
		if json.Unmarshal(body, &parsed) != nil {
			return // 400
		}
		var res huma.ValidateResult
		huma.Validate(registry, schema, huma.NewPathBuffer([]byte("body"), 4), huma.ModeWriteToServer, parsed, &res)
		if len(res.Errors) > 0 {
			return // 422
		}
		var in statsQueryInput
		if err := json.Unmarshal(body, &in.Body); err != nil {
			return // 422 (a date_range huma's schema let through)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q, err := in.query()
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if _, err := s.Query(ctx, q); err != nil {
			checkRefusal(t, err)
		}
	})
}
