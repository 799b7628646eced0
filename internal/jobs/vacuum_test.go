package jobs_test

import (
	"context"
	"testing"

	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/riverqueue/river"
)

// The job table stays the size of its live rows on a server without
// autovacuum (the test server has it off): the scheduled vacuum lets the
// next jobs reuse the space of those River's cleaner deleted, where
// without it every deleted row's space is lost and the table doubles.
func TestJobTableVacuumLetsNewJobsReuseDeletedJobsSpace(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	size := func() int64 {
		var n int64
		if err := pool.QueryRow(ctx, `SELECT pg_relation_size('river_job')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	burst := func() { // 5,000 finished emails, then the cleaner's delete
		t.Helper()
		if _, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, max_attempts, queue, finalized_at, metadata)
			SELECT 'mail.compose', jsonb_build_object('template', 'member-confirm', 'member_id', gen_random_uuid(), 'token', md5(i::text)),
				'completed', 1, 12, 'mail', now(), '{}'
			FROM generate_series(1, 5000) AS i`); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'mail.compose'`); err != nil {
			t.Fatal(err)
		}
	}
	burst()
	first := size()
	burst() // no vacuum: the space is not reused
	if grown := size(); grown < first*3/2 {
		t.Fatalf("without a vacuum the table grew from %d to %d bytes; the test needs autovacuum off", first, grown)
	}
	unvacuumed := size()
	if err := jobs.NewVacuumWorker(pool).Work(ctx, &river.Job[jobs.VacuumArgs]{}); err != nil {
		t.Fatal(err)
	}
	burst()
	if after := size(); after > unvacuumed {
		t.Errorf("after a vacuum the next burst grew the table from %d to %d bytes, want its space reused", unvacuumed, after)
	}
}
