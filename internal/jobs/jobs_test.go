package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/riverqueue/river"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "test.noop" }

// Finished jobs are pruned on the schedule docs/privacy.md gives: completed
// and cancelled ones once the retention has passed (HPA_JOB_RETENTION),
// discarded ones after a week, so staff can see why an email failed; the
// newer ones stay. River's cleaner runs as the client starts, then every
// 30 s.
func TestFinishedJobsArePrunedOnSchedule(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, max_attempts, queue, finalized_at, metadata)
		SELECT 'test.noop', jsonb_build_object('name', name), state::river_job_state, 1, 1, 'default', now() - age, '{}'
		FROM (VALUES ('completed-old', 'completed', interval '2 hours'), ('completed-new', 'completed', interval '10 minutes'),
			('cancelled-old', 'cancelled', interval '2 hours'), ('cancelled-new', 'cancelled', interval '10 minutes'),
			('discarded-old', 'discarded', interval '8 days'), ('discarded-new', 'discarded', interval '6 days')) AS j(name, state, age)`)
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[noopArgs]) error { return nil }))
	client, err := jobs.NewClient(pool, workers, nil, time.Hour, 1, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })

	deadline := time.Now().Add(20 * time.Second)
	for {
		var names []string
		if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(args->>'name' ORDER BY id), '{}') FROM river_job WHERE kind = 'test.noop'`).Scan(&names); err != nil {
			t.Fatal(err)
		}
		if len(names) == 3 {
			want := []string{"completed-new", "cancelled-new", "discarded-new"}
			for i := range want {
				if names[i] != want[i] {
					t.Fatalf("kept %v, want %v", names, want)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s the jobs left are %v, want the three newer ones", names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
