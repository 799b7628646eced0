package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/riverqueue/river"
)

// VacuumInterval is how often the job table is vacuumed.
const VacuumInterval = time.Minute

// VacuumArgs is the scheduled job that vacuums the job table. Every email
// is a job row written three times (queued, running, finished) and then
// deleted by River's cleaner: without a vacuum, none of that space is
// used again, and on a server with autovacuum off (or behind in a burst
// of signups) the table grows by every row version ever written. Vacuumed
// every minute, the next minute's jobs reuse the space the cleaner freed.
type VacuumArgs struct{}

// Kind implements river.JobArgs.
func (VacuumArgs) Kind() string { return "jobs.vacuum" }

// InsertOpts runs it once, without retries: the next minute's run is the retry.
func (VacuumArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// VacuumWorker vacuums the job table.
type VacuumWorker struct {
	river.WorkerDefaults[VacuumArgs]
	db store.DBTX
}

// NewVacuumWorker returns a VacuumWorker vacuuming through db (a pool:
// VACUUM cannot run in a transaction).
func NewVacuumWorker(db store.DBTX) *VacuumWorker { return &VacuumWorker{db: db} }

// Work implements river.Worker.
func (w *VacuumWorker) Work(ctx context.Context, _ *river.Job[VacuumArgs]) error {
	if err := store.Q.JobTableVacuum(ctx, w.db); err != nil {
		return fmt.Errorf("vacuum job table: %w", err)
	}
	return nil
}

// VacuumJob schedules the vacuum every VacuumInterval.
func VacuumJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(VacuumInterval),
		func() (river.JobArgs, *river.InsertOpts) { return VacuumArgs{}, nil }, nil)
}
