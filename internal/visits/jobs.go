package visits

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/riverqueue/river"
)

// RollupArgs is the periodic job that brings rollups up to date.
type RollupArgs struct{}

// Kind implements river.JobArgs.
func (RollupArgs) Kind() string { return "visits.rollup" }

// MaintainArgs is the daily job that rotates salts, creates partitions
// ahead, prunes idempotency records and drops expired raw events.
type MaintainArgs struct{}

// Kind implements river.JobArgs.
func (MaintainArgs) Kind() string { return "visits.maintain" }

type rollupWorker struct {
	river.WorkerDefaults[RollupArgs]
	s *Service
}

func (w *rollupWorker) Work(ctx context.Context, _ *river.Job[RollupArgs]) error {
	_, err := w.s.Rollup(ctx)
	return err
}

func (w *rollupWorker) Timeout(*river.Job[RollupArgs]) time.Duration { return 30 * time.Minute }

type maintainWorker struct {
	river.WorkerDefaults[MaintainArgs]
	s *Service
}

func (w *maintainWorker) Work(ctx context.Context, _ *river.Job[MaintainArgs]) error {
	_, err := w.s.Maintain(ctx)
	return err
}

func (w *maintainWorker) Timeout(*river.Job[MaintainArgs]) time.Duration { return 30 * time.Minute }

// AddWorkers registers the service's job workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, &rollupWorker{s: s})
	river.AddWorker(workers, &maintainWorker{s: s})
}

// PeriodicJobs are the service's scheduled jobs: rollups every
// RollupInterval and maintenance hourly (it is cheap when there is nothing
// to do, and an hour bounds how long a past day's salt outlives its day).
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(s.settings.RollupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return RollupArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return MaintainArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
	}
}

// MaintenanceReport says what Maintain did.
type MaintenanceReport struct {
	PartitionsCreated, PartitionsDropped int
	SaltsDeleted                         int64
	// ImportsAbandoned are imports still running importAbandonedAfter
	// after they began, now marked failed.
	ImportsAbandoned int64
}

// importAbandonedAfter is how long after it began a running import is
// taken for one whose process stopped: far longer than the largest file
// (512 MiB) takes to read.
const importAbandonedAfter = 6 * time.Hour

// Maintain deletes the salts of past days, creates the coming months'
// partitions, forgets client event IDs and batch IDs older than two days
// and quarantined events older than 30, marks abandoned imports failed, and drops raw partitions wholly older than the retention period, after
// rolling up any of their days still pending.
func (s *Service) Maintain(ctx context.Context) (MaintenanceReport, error) {
	var r MaintenanceReport
	now := s.now()
	today := localDate(now, s.settings.TimeZone)
	var err error
	if r.SaltsDeleted, err = store.Q.VisitSaltsDeleteBefore(ctx, s.pool, pgDate(today)); err != nil {
		return r, fmt.Errorf("delete old salts: %w", err)
	}
	created, err := store.Q.VisitPartitionsEnsure(ctx, s.pool, store.VisitPartitionsEnsureParams{
		FromMonth: pgDate(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)), Months: 4,
	})
	if err != nil {
		return r, fmt.Errorf("create partitions: %w", err)
	}
	r.PartitionsCreated = int(created)
	before := now.Add(-48 * time.Hour)
	if _, err := store.Q.VisitEventIDsPrune(ctx, s.pool, before); err != nil {
		return r, fmt.Errorf("prune event IDs: %w", err)
	}
	if _, err := store.Q.VisitWriteBatchesPrune(ctx, s.pool, before); err != nil {
		return r, fmt.Errorf("prune batch IDs: %w", err)
	}
	if _, err := store.Q.VisitQuarantinePrune(ctx, s.pool, now.Add(-quarantineRetention)); err != nil {
		return r, fmt.Errorf("prune quarantined events: %w", err)
	}
	if r.ImportsAbandoned, err = store.Q.VisitImportsAbandon(ctx, s.pool, now.Add(-importAbandonedAfter)); err != nil {
		return r, fmt.Errorf("mark abandoned imports: %w", err)
	}
	if _, err := s.Rollup(ctx); err != nil {
		return r, err
	}
	cutoff := now.AddDate(0, 0, -s.settings.RawRetentionDays)
	dropped, err := store.Q.VisitPartitionsDropBefore(ctx, s.pool, cutoff)
	if err != nil {
		return r, fmt.Errorf("drop expired partitions: %w", err)
	}
	r.PartitionsDropped = int(dropped)
	return r, s.expireVisitRows(ctx)
}
