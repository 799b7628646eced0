package idempotency

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// PurgeArgs is the hourly job deleting expired keys.
type PurgeArgs struct{}

// Kind implements river.JobArgs.
func (PurgeArgs) Kind() string { return "idempotency.purge" }

// PurgeWorker deletes expired keys.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	Store *Store
}

// Work implements river.Worker.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	_, err := w.Store.Purge(ctx)
	return err
}

// PeriodicPurge schedules PurgeArgs every hour.
func PeriodicPurge() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil },
		&river.PeriodicJobOpts{ID: "idempotency.purge"})
}
