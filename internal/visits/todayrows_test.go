package visits

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// An open day's filtered figures come from its visit rows, which each
// incremental pass keeps as current as the rollups, and agree exactly
// with counting its raw events: after new visitors, a returning visitor
// whose visit goes on, one whose second visit starts after 30 idle
// minutes and a late event changing a visit's entry page, each counted
// by its own pass. Events written since the last pass are in neither the
// rollups nor the visit rows; a day whose visit rows fell behind its mark
// (a pass by a build that did not keep them) is counted from raw events
// until a pass rebuilds them; and the day stays on visit rows once its
// final recount closes it.
func TestOpenDaysVisitRowsKeptCurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)} // 16:00 in London
	s := newTestService(t, c)
	s.visitorChunk = 2 // a pass's visitors in several statements
	if err := s.EnsurePartitions(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 1); err != nil {
		t.Fatal(err)
	}
	today := s.today()
	start, _ := dayBounds(today, s.settings.TimeZone)
	ev := func(visitor int64, hour, minute int, path, device, source string) store.VisitEventsCopyParams {
		e := anEvent(start.Add(time.Duration(hour)*time.Hour+time.Duration(minute)*time.Minute), path).row
		e.VisitorID, e.Device, e.Source, e.Country = visitor, device, source, "GB"
		return e
	}
	write := func(rows ...store.VisitEventsCopyParams) {
		t.Helper()
		if _, err := store.Q.VisitEventsCopy(ctx, s.pool, rows); err != nil {
			t.Fatal(err)
		}
		if err := store.Q.VisitRollupMarkDirty(ctx, s.pool, s.daysOf(rows)); err != nil {
			t.Fatal(err)
		}
	}
	rollup := func() {
		t.Helper()
		if _, err := s.Rollup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fromVisitRows := func() bool {
		t.Helper()
		days, err := store.Q.VisitRowsCompactedDays(ctx, s.pool, store.VisitRowsCompactedDaysParams{DayFrom: today, DayTo: today.AddDate(0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return len(days) == 1
	}
	is := func(dim string, values ...string) Filter {
		return Filter{Dimension: dim, Operator: "is", Values: values}
	}
	queries := []Query{
		{Dimensions: []string{"page"}, Filters: []Filter{is("device", "Mobile")}},
		{Dimensions: []string{"source"}, Filters: []Filter{is("page", "/donate")}},
		{Dimensions: []string{"entry_page"}, Filters: []Filter{{Operator: "not", Filters: []Filter{is("device", "Tablet")}}}},
		{Dimensions: []string{"event:props:amount"}, Filters: []Filter{is("source", "Google", "Bluesky")}},
		{Dimensions: []string{"time:day"}, Filters: []Filter{is("event_name", "pageview"), is("device", "Mobile", "Desktop")}},
	}
	funnel := FunnelQuery{Range: DateRange{From: today, To: today}, Filters: []Filter{is("source", "Google")},
		Steps: []FunnelStep{{Page: "/"}, {Page: "/donate"}, {EventName: "donate-clicked"}}}
	answers := func(raw bool) string {
		t.Helper()
		s.rawFilters = raw
		defer func() { s.rawFilters = false }()
		var out []string
		for _, q := range queries {
			q.Range, q.Limit, q.Metrics = DateRange{From: today, To: today}, 1000, Metrics
			out = append(out, answerLines(t, s, q))
		}
		res, err := s.Funnel(ctx, funnel)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(append(out, fmt.Sprint(res.Steps)), "\n--\n")
	}
	// check expects today's figures from its visit rows (or raw events)
	// and the same as counting its raw events, and returns them.
	check := func(when string, rows bool) string {
		t.Helper()
		if got := fromVisitRows(); got != rows {
			t.Errorf("%s: today answered from visit rows: %v, want %v", when, got, rows)
		}
		got, raw := answers(false), answers(true)
		if got != raw {
			t.Errorf("%s: the query gives\n%s\nraw events give\n%s", when, got, raw)
		}
		return got
	}

	donate := ev(3, 10, 0, "/donate", "Desktop", "Bluesky")
	donate.Name, donate.Props = "donate-clicked", []byte(`{"amount": "25"}`)
	write(ev(1, 9, 0, "/", "Mobile", "Google"), ev(1, 9, 5, "/donate", "Mobile", "Google"),
		ev(2, 9, 30, "/about", "Desktop", "Direct / None"), ev(3, 9, 58, "/donate", "Desktop", "Bluesky"), donate)
	rollup()
	first := check("first pass", true)

	// Visitor 1's visit goes on (15 idle minutes), visitor 2's second
	// visit starts after 45, visitor 4 is new, and a late event of
	// visitor 3's becomes that visit's entry page.
	write(ev(1, 9, 20, "/join", "Mobile", "Google"), ev(2, 10, 15, "/donate", "Desktop", "Google"),
		ev(4, 11, 0, "/", "Tablet", "Google"), ev(3, 9, 50, "/join", "Desktop", "Bluesky"))
	rollup()
	second := check("second pass", true)
	if second == first {
		t.Error("the second pass changed no figure")
	}

	// Written, not yet counted: today is still answered from visit rows,
	// as of the last pass, as its rollups are.
	write(ev(5, 12, 0, "/donate", "Mobile", "Google"), ev(1, 9, 25, "/donate", "Mobile", "Google"))
	if !fromVisitRows() {
		t.Error("today went back to raw events with events not yet counted")
	}
	if got := answers(false); got != second {
		t.Errorf("events not yet counted changed today's figures from visit rows:\n%s\nwant\n%s", got, second)
	}
	if answers(true) == second {
		t.Error("the events not yet counted changed nothing counted from raw events")
	}
	rollup()
	check("third pass", true)

	// A pass that moved the mark without the visit rows (a build from
	// before them): raw events until the next pass, new events or not,
	// rebuilds the day's visit rows whole.
	if _, err := s.pool.Exec(ctx, `UPDATE visit_rollup_marks SET rows_seen = NULL`); err != nil {
		t.Fatal(err)
	}
	check("visit rows behind the mark", false)
	rollup()
	check("visit rows rebuilt", true)
	write(ev(6, 13, 0, "/", "Mobile", "Bluesky"))
	rollup()
	check("after the rebuild", true)

	// Two days later the day has closed: its final recount keeps it on
	// visit rows.
	c.t = c.t.Add(50 * time.Hour)
	rollup()
	if n := count(t, s.pool, `SELECT count(*) FROM visit_rollup_marks`); n != 0 {
		t.Fatalf("%d days still counted incrementally after they closed", n)
	}
	check("closed", true)
}
