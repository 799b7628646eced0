package donations

import (
	"context"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/riverqueue/river"
)

// ReconcileArgs is the nightly reconciliation of yesterday (UK time).
type ReconcileArgs struct{}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return "donations.reconcile" }

// ReconcileWorker runs the nightly reconciliation.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	Service *Service
}

// Work reconciles yesterday. A Stripe outage fails the job, which River retries.
func (w *ReconcileWorker) Work(ctx context.Context, _ *river.Job[ReconcileArgs]) error {
	start, end := Yesterday(w.Service.now())
	_, err := w.Service.Reconcile(ctx, start, end, "schedule")
	return err
}

// Yesterday is the UK calendar day before now's, as [start, end).
func Yesterday(now time.Time) (time.Time, time.Time) {
	y, m, d := now.In(London).Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, London)
	return end.AddDate(0, 0, -1), end
}

// HousekeepingArgs is the nightly tidy-up: checkouts never paid lose
// their sealed Gift Aid details, and old applied Stripe event IDs go
// (Stripe stops retrying after three days).
type HousekeepingArgs struct{}

// Kind implements river.JobArgs.
func (HousekeepingArgs) Kind() string { return "donations.housekeeping" }

// HousekeepingWorker does the tidy-up.
type HousekeepingWorker struct {
	river.WorkerDefaults[HousekeepingArgs]
	Service *Service
}

// Work implements river.Worker.
func (w *HousekeepingWorker) Work(ctx context.Context, _ *river.Job[HousekeepingArgs]) error {
	now := w.Service.now()
	if _, err := store.Q.CheckoutExpireOpen(ctx, w.Service.db, now.Add(-14*24*time.Hour)); err != nil {
		return err
	}
	_, err := store.Q.StripeEventPurge(ctx, w.Service.db, now.Add(-90*24*time.Hour))
	return err
}

// nightly is a schedule firing every day at a UK wall-clock time.
type nightly struct{ hour, minute int }

// Next implements river.PeriodicSchedule.
func (n nightly) Next(t time.Time) time.Time {
	local := t.In(London)
	next := time.Date(local.Year(), local.Month(), local.Day(), n.hour, n.minute, 0, 0, London)
	if !next.After(t) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, n.hour, n.minute, 0, 0, London)
	}
	return next
}

// PeriodicJobs are donations' scheduled jobs: reconciliation at 03:30 and
// housekeeping at 04:00, UK time.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(nightly{3, 30}, func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
			&river.PeriodicJobOpts{ID: "donations.reconcile"}),
		river.NewPeriodicJob(nightly{4, 0}, func() (river.JobArgs, *river.InsertOpts) { return HousekeepingArgs{}, nil },
			&river.PeriodicJobOpts{ID: "donations.housekeeping"}),
	}
}

// Workers registers donations' job workers.
func (s *Service) Workers(workers *river.Workers) {
	river.AddWorker(workers, &ReconcileWorker{Service: s})
	river.AddWorker(workers, &HousekeepingWorker{Service: s})
}
