package visits

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Counting from raw events gives exactly what the rollups give: with a
// filter on another dimension that excludes nothing, every dimension's
// breakdown (and a daily series) equals the rollup answer, which
// TestRollupsEqualABruteForceRecount checks against a brute-force count.
func TestRawCountingAgreesWithTheRollups(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)} // spans the switch to summer time
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 8_000, Days: 20, Hostname: "www.example.org", Seed: 11}, nil); err != nil {
		t.Fatal(err)
	}
	answer := func(q Query) string {
		t.Helper()
		return answerLines(t, s, q)
	}
	for _, dims := range append([][]string{{}, {"time:day"}, {"time:week", "page"}}, dimensionLists()...) {
		_, valueDim := splitDimensions(dims)
		other := "device"
		if valueDim == "device" {
			other = "os"
		}
		q := Query{Metrics: Metrics, Range: DateRange{Preset: "30d"}, Dimensions: dims, Limit: 10_000}
		fromRollups := answer(q)
		q.Filters = []Filter{{Dimension: other, Operator: "is_not", Values: []string{"no such value"}}}
		if !q.crossFiltered(valueDim) {
			t.Fatalf("%v: not counted from raw events", dims)
		}
		if fromRaw := answer(q); fromRaw != fromRollups || fromRollups == "" {
			t.Errorf("%v: raw events give\n%.600s\nrollups give\n%.600s", dims, fromRaw, fromRollups)
		}
	}
}

func dimensionLists() [][]string {
	out := make([][]string, len(Dimensions))
	for i, d := range Dimensions {
		out[i] = []string{d}
	}
	return out
}

// A filtered query that takes too long is refused with a reason, not a 500.
func TestSlowFilteredQueriesAreRefusedClearly(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 2_000, Days: 5, Hostname: "www.example.org", Seed: 3}, nil); err != nil {
		t.Fatal(err)
	}
	s.rawQueryTimeout = time.Microsecond
	_, err := s.Query(ctx, Query{Metrics: []string{"visitors"}, Range: DateRange{Preset: "7d"}, Dimensions: []string{"page"}, At: "body.",
		Filters: []Filter{{Dimension: "device", Operator: "is", Values: []string{"Desktop"}}}})
	if hpa.ErrorReason(err) != "filtered-range-too-long" {
		t.Fatalf("err = %v", err)
	}
}
