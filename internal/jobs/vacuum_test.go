package jobs_test

import (
	"context"
	"testing"

	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/riverqueue/river"
)

// The queue tables stay the size of their live rows on a server without
// autovacuum (the test server has it off): the scheduled vacuum lets the
// next rows reuse the space of those deleted (jobs River's cleaner
// deleted, signups their jobs took), where without it every deleted row's
// space is lost and the table doubles.
func TestJobTableVacuumLetsNewJobsReuseDeletedJobsSpace(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	for _, queue := range []struct{ table, fill, empty string }{
		{"river_job", `INSERT INTO river_job (kind, args, state, attempt, max_attempts, queue, finalized_at, metadata)
			SELECT 'mail.compose', jsonb_build_object('template', 'member-confirm', 'member_id', gen_random_uuid(), 'token', md5(i::text)),
				'completed', 1, 12, 'mail', now(), '{}'
			FROM generate_series(1, 5000) AS i`, `DELETE FROM river_job WHERE kind = 'mail.compose'`},
		{"member_signup_requests", `INSERT INTO member_signup_requests (id, payload_sealed)
			SELECT gen_random_uuid(), decode(repeat(md5(i::text), 6), 'hex') FROM generate_series(1, 5000) AS i`,
			`DELETE FROM member_signup_requests`},
	} {
		size := func() int64 {
			var n int64
			if err := pool.QueryRow(ctx, `SELECT pg_relation_size($1::regclass)`, queue.table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		burst := func() { // 5,000 rows queued, then deleted once done
			t.Helper()
			for _, sql := range []string{queue.fill, queue.empty} {
				if _, err := pool.Exec(ctx, sql); err != nil {
					t.Fatal(err)
				}
			}
		}
		burst()
		first := size()
		burst() // no vacuum: the space is not reused
		if grown := size(); grown < first*3/2 {
			t.Fatalf("%s: without a vacuum the table grew from %d to %d bytes; the test needs autovacuum off", queue.table, first, grown)
		}
		unvacuumed := size()
		if err := jobs.NewVacuumWorker(pool).Work(ctx, &river.Job[jobs.VacuumArgs]{}); err != nil {
			t.Fatal(err)
		}
		burst()
		if after := size(); after > unvacuumed {
			t.Errorf("%s: after a vacuum the next burst grew the table from %d to %d bytes, want its space reused", queue.table, unvacuumed, after)
		}
	}
}
