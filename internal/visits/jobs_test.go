package visits

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// Maintenance creates the coming months' partitions and drops raw months
// wholly older than the retention period, keeping their rollups.
func TestMaintenanceRotatesPartitionsAndKeepsRollups(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	s.settings.RawRetentionDays = 60
	// Traffic from mid-June: June is wholly older than 60 days by 10 September, July is not.
	if _, err := s.Generate(ctx, GenerateOptions{Pageviews: 3000, Days: 85, Hostname: "www.example.org", Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	partitions := func() map[string]bool {
		rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'visit_events'::regclass`)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for rows.Next() {
			var n string
			_ = rows.Scan(&n)
			out[n] = true
		}
		return out
	}
	var juneVisits int64
	_ = s.pool.QueryRow(ctx, `SELECT sum(visits) FROM visit_rollups_daily WHERE dimension = '' AND day < '2026-07-01'`).Scan(&juneVisits)
	if !partitions()["visit_events_2026_06"] || juneVisits == 0 {
		t.Fatalf("setup: partitions %v, June visits %d", partitions(), juneVisits)
	}
	r, err := s.Maintain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := partitions()
	for _, want := range []string{"visit_events_2026_07", "visit_events_2026_09", "visit_events_2026_12"} {
		if !got[want] {
			t.Errorf("partition %s missing after maintenance: %v", want, got)
		}
	}
	if got["visit_events_2026_06"] || r.PartitionsDropped < 1 {
		t.Errorf("June's raw events outlived the retention period: %v (%+v)", got, r)
	}
	// Visit rows follow the raw events' retention, a day at a time: kept
	// from 12 July (60 days before 10 September), deleted before.
	for _, table := range []string{"visit_rows", "visit_row_paths", "visit_row_values", "visit_rows_days"} {
		if n := count(t, s.pool, "SELECT count(*) FROM "+table+" WHERE day < '2026-07-12'"); n != 0 {
			t.Errorf("%s: %d rows of days older than the raw events' retention", table, n)
		}
		if n := count(t, s.pool, "SELECT count(*) FROM "+table+" WHERE day = '2026-07-12'"); n == 0 {
			t.Errorf("%s: the oldest day kept has no rows", table)
		}
	}
	// A June day marked dirty again (by hand, say) must not be recounted
	// from the raw events that are gone.
	if _, err := s.pool.Exec(ctx, `INSERT INTO visit_rollup_dirty (day) VALUES ('2026-06-20')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollup(ctx); err != nil {
		t.Fatal(err)
	}
	var after int64
	_ = s.pool.QueryRow(ctx, `SELECT sum(visits) FROM visit_rollups_daily WHERE dimension = '' AND day < '2026-07-01'`).Scan(&after)
	if after != juneVisits {
		t.Errorf("June's rollups changed from %d to %d visits when its raw events were dropped", juneVisits, after)
	}
}

// An import whose process stopped mid-file stays running until
// maintenance marks it failed; one still being read is left alone.
func TestMaintenanceMarksAbandonedImportsFailed(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC)}
	s := newTestService(t, c)
	started := map[string]time.Duration{"abandoned": 7 * time.Hour, "reading": time.Hour}
	ids := map[string]any{}
	for name, ago := range started {
		imp, err := store.Q.VisitImportCreate(ctx, s.pool, store.VisitImportCreateParams{Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `UPDATE visit_imports SET created_at = $2 WHERE id = $1`, imp.ID, c.t.Add(-ago)); err != nil {
			t.Fatal(err)
		}
		ids[name] = imp.ID
	}
	r, err := s.Maintain(ctx)
	if err != nil || r.ImportsAbandoned != 1 {
		t.Fatalf("maintain: %+v %v", r, err)
	}
	for name, want := range map[string]string{"abandoned": ImportFailed, "reading": "running"} {
		var status string
		if err := s.pool.QueryRow(ctx, `SELECT status FROM visit_imports WHERE id = $1`, ids[name]).Scan(&status); err != nil || status != want {
			t.Errorf("%s import: %q %v, want %q", name, status, err, want)
		}
	}
}
