package visits

import (
	"context"
	"testing"
	"time"
)

// A pattern or group on the dimension grouped by is applied to rows here;
// within a group naming another dimension it is counted by PostgreSQL. Both
// engines agree on the supported subset, case options included.
func TestFiltersAgreeInGoAndPostgreSQL(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 3_000, Days: 6, Hostname: "www.example.org", Seed: 5}, nil); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	anything := Filter{Dimension: "os", Operator: "is_not", Values: []string{"no such value"}}
	for _, f := range []Filter{
		{Dimension: "source", Operator: "matches", Values: []string{`^(Goo|Fa)[a-z]+$`}},
		{Dimension: "source", Operator: "matches", Values: []string{`^google`}, CaseSensitive: &no},
		{Dimension: "source", Operator: "does_not_match", Values: []string{`\.(com|uk)$`, `^D`}},
		{Dimension: "source", Operator: "contains", Values: []string{"Link", "bing"}, CaseSensitive: &yes},
		{Dimension: "source", Operator: "is", Values: []string{"google"}, CaseSensitive: &no},
		{Operator: "or", Filters: []Filter{
			{Dimension: "source", Operator: "is", Values: []string{"Bing"}},
			{Operator: "not", Filters: []Filter{{Dimension: "source", Operator: "matches", Values: []string{`o{2}`}}}},
		}},
	} {
		q := Query{Metrics: Metrics, Range: DateRange{Preset: "7d"}, Dimensions: []string{"source"}, Limit: 1000, Filters: []Filter{f}}
		inGo, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		q.Filters = []Filter{{Operator: "and", Filters: []Filter{f, anything}}}
		inSQL, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(inGo.Rows) == 0 || len(inGo.Rows) != len(inSQL.Rows) {
			t.Errorf("%+v: %d rows in Go, %d in SQL", f, len(inGo.Rows), len(inSQL.Rows))
			continue
		}
		for i := range inGo.Rows {
			if a, b := inGo.Rows[i], inSQL.Rows[i]; a.Dimensions[0] != b.Dimensions[0] || a.Metrics[0] != b.Metrics[0] || a.Metrics[2] != b.Metrics[2] {
				t.Errorf("%+v: %v %v in Go, %v %v in SQL", f, a.Dimensions, a.Metrics, b.Dimensions, b.Metrics)
			}
		}
	}
}

// Patterns outside the subset are refused before they reach a database.
func TestPatternsAreBounded(t *testing.T) {
	for _, p := range []string{`(a)\1`, `(?=a)`, `(?i)a`, `\bword`, `a{1,1000}`, `[`, string(make([]byte, 201)), `\Qa\E`, `a\`} {
		if checkPattern(p) == nil {
			t.Errorf("%q accepted", p)
		}
	}
	for _, p := range []string{`^/news/`, `^/(donate|join)/thanks$`, `guide-\d{1,3}`, `[A-Za-z]+\.org`, `(?:a|b)*c`, `\/x\-y`} {
		if err := checkPattern(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
}
