package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Purger deletes data past its retention period and says how much.
type Purger func(ctx context.Context) (int64, error)

// RetentionArgs is the hourly job that runs every purger.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "retention.purge" }

// RetentionWorker runs the registered purgers. One failing does not stop
// the others; the job fails (and retries) if any did.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	purgers map[string]Purger
	logger  *slog.Logger
}

// NewRetentionWorker returns a worker running purgers, named for the log.
func NewRetentionWorker(purgers map[string]Purger, logger *slog.Logger) *RetentionWorker {
	return &RetentionWorker{purgers: purgers, logger: logger}
}

// Work implements river.Worker.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	var firstErr error
	for name, purge := range w.purgers {
		n, err := purge(ctx)
		if err != nil {
			w.logger.ErrorContext(ctx, "retention purge failed", "purger", name, "error", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if n > 0 {
			w.logger.InfoContext(ctx, "retention purge", "purger", name, "deleted", n)
		}
	}
	return firstErr
}

// RetentionJob schedules the purge hourly (and once at start-up).
func RetentionJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
