package visits

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/prometheus/client_golang/prometheus"
)

// metricSum adds up every sample of the named metric in reg.
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// Rows PostgreSQL refuses (a NUL, bytes that are not UTF-8, JSON it cannot
// hold, a CHECK constraint, a month no partition may hold) reach the writer
// below any validation, mixed with good ones. Each is set aside in the
// quarantine, where staff can see why for 30 days, and everything else is
// written: one bad event never stops the events behind it.
func TestRowsTheDatabaseRefusesAreQuarantinedAndTheRestWritten(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	s := NewService(pgtest.Pool(t), Deps{Metrics: reg}, testSettings(), c.now)
	for _, constraint := range []string{
		`ALTER TABLE visit_events ADD CONSTRAINT refuses_one_page CHECK (pathname <> '/refused-by-check')`,
		// An event refused even by the quarantine is dropped and counted.
		`ALTER TABLE visit_events_quarantine ADD CONSTRAINT refuses_one_event CHECK (event NOT LIKE '%/refused-everywhere%')`,
	} {
		if _, err := s.pool.Exec(ctx, constraint); err != nil {
			t.Fatal(err)
		}
	}
	poison := []pending{anEvent(c.t, "/a\x00b"), anEvent(c.t, "/nul-in-props"), anEvent(c.t, "/broken-props"),
		anEvent(c.t, "/refused-by-check"), anEvent(c.t, "/not-utf8-referrer"), anEvent(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "/far-future"),
		anEvent(c.t, "/refused-everywhere\x00")}
	poison[1].row.Props = []byte(`{"k":"a\u0000b"}`)
	poison[2].row.Props = []byte(`{"k":`)
	poison[4].row.Referrer = "example.com/\xff"
	var events []pending
	for i := range 40 {
		events = append(events, anEvent(c.t, fmt.Sprintf("/good-%d", i)))
		if i%5 == 3 && len(poison) > 0 {
			events, poison = append(events, poison[0]), poison[1:]
		}
	}
	if len(poison) > 0 {
		t.Fatal("setup: not every poison row was placed")
	}
	s.buffer.add(events)
	s.bots.add(localDate(c.t, s.settings.TimeZone), botFlood)
	runCtx, stop := context.WithCancel(ctx)
	s.Run(runCtx)
	eventually(t, 10*time.Second, "the good events written and the bad ones set aside", func() bool {
		return count(t, s.pool, `SELECT count(*) FROM visit_events`) == 40 && s.buffer.len() == 0
	})
	stop()
	<-s.Stopped()

	if n := count(t, s.pool, `SELECT count(*) FROM visit_events WHERE pathname NOT LIKE '/good-%'`); n != 0 {
		t.Errorf("%d poison rows among the written events", n)
	}
	if n := count(t, s.pool, `SELECT coalesce(sum(count), 0) FROM visit_bot_counts`); n != 1 {
		t.Errorf("bot counts %d, want 1: the tally written with the poisoned batch was lost", n)
	}
	rows, err := s.pool.Query(ctx, `SELECT sqlstate, reason, event FROM visit_events_quarantine ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var state, reason, event string
		if err := rows.Scan(&state, &reason, &event); err != nil {
			t.Fatal(err)
		}
		if reason == "" || strings.Contains(event, "visitor") {
			t.Errorf("quarantined %s: reason %q, event %s (no reason, or a visitor ID kept)", state, reason, event)
		}
		got = append(got, state+" "+reason+" "+event[:min(len(event), 100)])
	}
	if len(got) != 6 {
		t.Errorf("quarantine holds %d rows, want 6:\n%s", len(got), strings.Join(got, "\n"))
	}
	if v := metricSum(t, reg, "hpa_visits_events_quarantined_total"); v != 6 {
		t.Errorf("hpa_visits_events_quarantined_total %v, want 6", v)
	}
	if v := metricSum(t, reg, "hpa_visits_events_written_total"); v != 40 {
		t.Errorf("hpa_visits_events_written_total %v, want 40", v)
	}
	if v := metricSum(t, reg, "hpa_visits_events_dropped_total"); v != 1 {
		t.Errorf("hpa_visits_events_dropped_total %v, want 1 (the event even the quarantine refused)", v)
	}
	if n := count(t, s.pool, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'visit_events'::regclass`); n > 12 {
		t.Errorf("%d partitions: the writer made months for the far-future row", n)
	}
	// Staff have 30 days to look.
	if _, err := s.pool.Exec(ctx, `UPDATE visit_events_quarantine SET quarantined_at = $1 WHERE id = (SELECT min(id) FROM visit_events_quarantine)`, c.t.AddDate(0, 0, -31)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.pool, `SELECT count(*) FROM visit_events_quarantine`); n != 5 {
		t.Errorf("%d quarantined events after maintenance, want the 5 younger than 30 days", n)
	}
}
