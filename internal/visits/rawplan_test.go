package visits

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/harmedpatients/hpa/internal/store"
)

// recorder passes queries on to the database and keeps the last one, so
// that its plan can be read.
type recorder struct {
	store.DBTX
	sql  string
	args []any
}

func (r *recorder) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.sql, r.args = sql, args
	return r.DBTX.Query(ctx, sql, args...)
}

// A property breakdown counted from raw events (a day with new events)
// reads the day's events once: its top values are counted once per query,
// not again inside each event's lookup, which made a 30-day breakdown
// with today and yesterday counted from raw events take 15-20 s (issue #19).
func TestRawPropertyBreakdownReadsEventsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 2_000, Days: 2, Hostname: "www.example.org", Seed: 7}, nil); err != nil {
		t.Fatal(err)
	}
	filters := []byte(`[[{"dimension":"device","operator":"is","values":["Tablet"],"ignore_case":false,"negate":true}]]`)
	start, stop := dayBounds(c.t, s.settings.TimeZone)
	rec := &recorder{DBTX: s.pool}
	got, err := store.Q.VisitQueryFiltered(ctx, rec, store.VisitQueryFilteredParams{RangeStart: start, RangeEnd: stop,
		TimeZone: s.settings.TimeZone.String(), Dimension: "event:props:amount", Filters: filters, Goals: []byte("[]")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no property values today")
	}
	var plan []struct{ Plan planNode }
	if err := s.pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+rec.sql, rec.args...).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var scans func(n planNode)
	scans = func(n planNode) {
		if n.CTE == "numbered" && n.Loops > 1 {
			t.Errorf("the day's events are read %d times (once per event with the property)", n.Loops)
		}
		for _, p := range n.Plans {
			scans(p)
		}
	}
	scans(plan[0].Plan)
}

// planNode is a node of EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	CTE   string     `json:"CTE Name"`
	Loops int64      `json:"Actual Loops"`
	Plans []planNode `json:"Plans"`
}
