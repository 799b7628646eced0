package content

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// PurgeArgs is the periodic job that deletes enquiries older than the
// retention period, and spent form-token records.
type PurgeArgs struct{}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "content.enquiry_purge" }

// PurgeWorker runs PurgeArgs jobs.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	db        DB
	retention time.Duration
	now       func() time.Time
}

// NewPurgeWorker deletes enquiries received more than retention ago.
func NewPurgeWorker(db DB, retention time.Duration, now func() time.Time) *PurgeWorker {
	return &PurgeWorker{db: db, retention: retention, now: now}
}

// PurgeJob schedules the purge every interval, and once at start-up.
func PurgeJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// Work deletes what is past retention and records how many went.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	now := w.now()
	before := now.Add(-w.retention)
	return store.WithTx(ctx, w.db, func(tx pgx.Tx) error {
		n, err := store.Q.EnquiryPurge(ctx, tx, before)
		if err != nil {
			return fmt.Errorf("purge enquiries: %w", err)
		}
		if _, err := store.Q.EnquiryFormTokenPurge(ctx, tx, now); err != nil {
			return fmt.Errorf("purge form tokens: %w", err)
		}
		if n == 0 {
			return nil
		}
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorSystem}, audit.Event{Action: "enquiry.purge", TargetType: "enquiry",
			Details: map[string]any{"count": n, "received_before": before.UTC().Format(time.RFC3339)}})
	})
}
