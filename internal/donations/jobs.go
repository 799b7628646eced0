package donations

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
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

// FetchPaymentArgs asks Stripe for a recorded payment's charge, fee and
// payment method, which its event does not carry.
type FetchPaymentArgs struct {
	DonationID      uuid.UUID `json:"donation_id"`
	PaymentIntentID string    `json:"payment_intent_id"`
}

// Kind implements river.JobArgs.
func (FetchPaymentArgs) Kind() string { return "donations.fetch_payment" }

// InsertOpts bounds the retries: the details are a nicety, the gift is recorded.
func (FetchPaymentArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 6} }

// FetchPaymentWorker fills in payment details.
type FetchPaymentWorker struct {
	river.WorkerDefaults[FetchPaymentArgs]
	Service *Service
}

// Work re-fetches the payment intent with its latest charge and balance
// transaction. A charge belonging to another payment intent is ignored.
func (w *FetchPaymentWorker) Work(ctx context.Context, job *river.Job[FetchPaymentArgs]) error {
	sc, err := w.Service.stripeClient()
	if err != nil {
		return river.JobCancel(err)
	}
	params := &stripe.PaymentIntentRetrieveParams{}
	params.AddExpand("latest_charge.balance_transaction")
	pi, err := sc.V1PaymentIntents.Retrieve(ctx, job.Args.PaymentIntentID, params)
	if err != nil {
		return fmt.Errorf("fetch payment intent: %w", err)
	}
	ch := pi.LatestCharge
	if pi.ID != job.Args.PaymentIntentID || ch == nil || ch.PaymentIntent == nil || ch.PaymentIntent.ID != pi.ID {
		w.Service.logger.WarnContext(ctx, "stripe returned no charge of this payment intent", "payment_intent", job.Args.PaymentIntentID)
		return nil
	}
	p := store.DonationSetPaymentDetailsParams{ID: job.Args.DonationID, ChargeID: &ch.ID, Method: "stripe"}
	if ch.PaymentMethodDetails != nil {
		switch t := string(ch.PaymentMethodDetails.Type); t {
		case "card", "bacs_debit":
			p.Method = t
		}
	}
	var fee *entry
	if bt := ch.BalanceTransaction; bt != nil && strings.EqualFold(string(bt.Currency), "gbp") && bt.Fee >= 0 {
		p.FeePence = &bt.Fee
		// The fee is taken with the charge: dated by its balance
		// transaction (else the job's time), in the charge's month.
		at := w.Service.now()
		if bt.Created > 0 {
			at = time.Unix(bt.Created, 0)
		}
		fee = &entry{kind: EntryFee, amount: -bt.Fee, donation: job.Args.DonationID, at: at, source: "stripe:" + firstNonEmpty(bt.ID, ch.ID),
			key: "fee:" + job.Args.DonationID.String()}
	}
	return store.WithTx(ctx, w.Service.db, func(tx pgx.Tx) error {
		if err := store.Q.DonationSetPaymentDetails(ctx, tx, p); err != nil {
			return fmt.Errorf("set payment details of %s: %w", job.Args.DonationID, err)
		}
		if fee == nil {
			return nil
		}
		return writeEntry(ctx, tx, *fee)
	})
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
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(nightly{3, 30}, func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
			&river.PeriodicJobOpts{ID: "donations.reconcile"}),
		river.NewPeriodicJob(nightly{4, 0}, func() (river.JobArgs, *river.InsertOpts) { return HousekeepingArgs{}, nil },
			&river.PeriodicJobOpts{ID: "donations.housekeeping"}),
	}
}

// AddWorkers registers donations' job workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, &ReconcileWorker{Service: s})
	river.AddWorker(workers, &HousekeepingWorker{Service: s})
	river.AddWorker(workers, &FetchPaymentWorker{Service: s})
}
