package visits

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// Filtered queries, goals, properties and funnels answered from visit rows
// give exactly what counting raw events gives (the reference path, which
// TestRawCountingAgreesWithTheRollups ties to the rollups): on compacted
// days, and once a day has new events since its compaction, merged with
// that day counted from raw events.
func TestVisitRowsAgreeWithRawEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)} // spans the switch to summer time
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 8_000, Days: 20, Hostname: "www.example.org", Seed: 7}, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []Goal{{Name: "Donate page", PagePath: "/donate"}, {Name: "Story", PagePath: "/stories/*"}, {Name: "Donated", EventName: "donate-clicked"}} {
		if _, err := s.CreateGoal(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	// Every day over for more than 25 hours is compacted; today and
	// yesterday are still open (rolled up incrementally, their visit rows
	// kept current by each pass: TestOpenDaysVisitRowsKeptCurrent).
	if n := count(t, s.pool, "SELECT count(*) FROM visit_rows_days"); n < 18 {
		t.Fatalf("%d days compacted", n)
	}
	is := func(dim string, values ...string) Filter {
		return Filter{Dimension: dim, Operator: "is", Values: values}
	}
	not := func(f Filter) Filter { return Filter{Operator: "not", Filters: []Filter{f}} }
	queries := []Query{
		{Dimensions: []string{"page"}, Filters: []Filter{is("device", "Mobile")}},
		{Dimensions: []string{"country"}, Filters: []Filter{{Dimension: "page", Operator: "contains", Values: []string{"STOR"}}, not(is("device", "Desktop"))}},
		{Dimensions: []string{"time:day"}, Filters: []Filter{is(GoalDimension, "Donate page", "Donated")}},
		{Dimensions: []string{GoalDimension}, Metrics: []string{"visitors", "events", ConversionRate}, Filters: []Filter{is("source", "Google")}},
		{Dimensions: []string{"time:week", GoalDimension}, Metrics: []string{"visitors", "events", ConversionRate}},
		{Dimensions: []string{"event:props:amount"}, Filters: []Filter{is("screen_size", "Desktop")}},
		{Dimensions: []string{"screen_size"}},
		{Dimensions: []string{"event_name"}, Filters: []Filter{is("event:props:amount", "25")}},
		{Dimensions: []string{"entry_page"}, Filters: []Filter{not(Filter{Operator: "and", Filters: []Filter{is("page", "/about"), is("device", "Mobile")}})}},
		{Dimensions: []string{"os"}, Filters: []Filter{{Dimension: "referrer", Operator: "matches", Values: []string{`^(www\.)?google\.`}, CaseSensitive: new(false)}}},
		// More comparisons than the fast path takes: compared visit by visit.
		{Dimensions: []string{"browser"}, Filters: []Filter{{Operator: "or", Filters: []Filter{is("page", "/join"), is("page", "/donate"),
			is("event_name", "signup-started"), {Dimension: "country", Operator: "matches", Values: []string{"^(GB|IE)$"}},
			{Dimension: "browser", Operator: "contains", Values: []string{"fire"}}}}, not(is("device", "Tablet"))}},
		// A property compared visit by visit (from the visits' KEY=VALUE pairs).
		{Dimensions: []string{"page"}, Filters: []Filter{{Operator: "or", Filters: []Filter{is("event:props:amount", "25", "50"),
			{Dimension: "event:props:amount", Operator: "contains", Values: []string{"0"}}, is("page", "/join"), is("device", "Tablet"),
			{Dimension: "country", Operator: "is_not", Values: []string{"GB"}}}}}},
	}
	// Funnels read the paths of the visits holding their first two steps;
	// the others (holding the first only) reach the first step.
	funnels := []FunnelQuery{
		{Range: DateRange{Preset: "30d"}, Filters: []Filter{is("device", "Desktop")},
			Steps: []FunnelStep{{Page: "/"}, {Page: "/about"}, {EventName: "donate-clicked"}}},
		{Range: DateRange{Preset: "30d"}, Steps: []FunnelStep{{EventName: "donate-clicked"}, {Page: "/**"}, {EventName: "pageview"}}},
		// A page view matching two steps at once, four steps, and a
		// negated filter on a dimension of one value per visit.
		{Range: DateRange{Preset: "30d"}, Filters: []Filter{not(is("device", "Tablet")), is("source", "Google", "Direct / None")},
			Steps: []FunnelStep{{Page: "/**"}, {Page: "/join"}, {Page: "/join"}, {EventName: "signup-started"}}},
	}
	answers := func(raw bool) []string {
		t.Helper()
		s.rawFilters = raw
		var out []string
		for _, q := range queries {
			q.Range, q.Limit = DateRange{Preset: "30d"}, 10_000
			if q.Metrics == nil {
				q.Metrics = Metrics
			}
			out = append(out, answerLines(t, s, q))
		}
		for _, f := range funnels {
			res, err := s.Funnel(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(res.Steps))
		}
		return out
	}
	compare := func(when string) []string {
		t.Helper()
		fromRows, fromRaw := answers(false), answers(true)
		for i := range fromRaw {
			if fromRows[i] != fromRaw[i] || strings.Count(fromRaw[i], "\n") < 1 && i < len(queries) {
				t.Errorf("%s, query %d: visit rows give\n%.800s\nraw events give\n%.800s", when, i, fromRows[i], fromRaw[i])
			}
		}
		return fromRaw
	}
	before := compare("compacted")

	// New events on a compacted day: it is counted from raw events until
	// the next rollup, its neighbours still from visit rows. The last two
	// happen at the same instant, and one has two properties.
	day := c.t.AddDate(0, 0, -3)
	ev := anEvent(day, "/").row
	ev.Country = "GB"
	late := []store.VisitEventsCopyParams{ev, ev, ev}
	late[1].Ts, late[1].Pathname = day.Add(time.Minute), "/about"
	late[2].Ts, late[2].Name, late[2].Pathname = day.Add(time.Minute), "donate-clicked", "/about"
	late[2].Props = []byte(`{"amount": "25", "currency": "GBP"}`)
	if _, err := store.Q.VisitEventsCopy(ctx, s.pool, late); err != nil {
		t.Fatal(err)
	}
	if err := store.Q.VisitRollupMarkDirty(ctx, s.pool, []time.Time{localDate(day, s.settings.TimeZone)}); err != nil {
		t.Fatal(err)
	}
	if after := compare("with a day dirty"); slices.Equal(after, before) {
		t.Error("the new events changed no figure")
	}
	// Whatever clears the day's dirty mark without compacting it again
	// (an incremental rollup, say), its visit rows stay stale.
	if _, err := s.pool.Exec(ctx, "DELETE FROM visit_rollup_dirty"); err != nil {
		t.Fatal(err)
	}
	compare("with a day's dirty mark cleared")
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatal(err)
	}
	compare("compacted again")
}
