package donations

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
	"github.com/harmedpatients/hpa/internal/testfactory"
	"github.com/riverqueue/river"
)

// The nightly reconciliation job reconciles yesterday, UK time, as the
// schedule (not a person), and emails its differences to the treasurers
// only (admins hear only when there is no treasurer). stripe-mock's one
// balance transaction and one payout, both in USD, were created on 13
// February 2009 at 23:31:30 UTC, so that day has two differences: each in
// a currency other than GBP.
func TestNightlyReconciliationReportsYesterdayToTreasurers(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	ring, hasher := testfactory.Keys(t)
	q := testfactory.NewQueue(t, pool, ring, hasher, Templates)
	now, _ := time.ParseInLocation(time.DateTime, "2009-02-14 04:00:00", London)
	s := NewService(pool, Deps{Ring: ring, Hasher: hasher, Outbox: q.Outbox, Jobs: q.Jobs, Logger: logging.Discard()},
		Settings{StripeKey: "sk_test_123", StripeURL: stripemock.Start(t)}, func() time.Time { return now })
	testfactory.Staff(ctx, t, pool, "treasurer")
	testfactory.Staff(ctx, t, pool, "admin")

	if err := (&ReconcileWorker{Service: s}).Work(ctx, &river.Job[ReconcileArgs]{}); err != nil {
		t.Fatal(err)
	}
	var start, end time.Time
	var trigger string
	var kinds []string
	if err := pool.QueryRow(ctx, `SELECT period_start, period_end, trigger, ARRAY(SELECT d->>'kind' FROM jsonb_array_elements(differences) d ORDER BY 1)
		FROM reconciliation_reports`).Scan(&start, &end, &trigger, &kinds); err != nil {
		t.Fatal(err)
	}
	if want, _ := time.ParseInLocation(time.DateOnly, "2009-02-13", London); !start.Equal(want) || end.Sub(start) != 24*time.Hour {
		t.Errorf("reconciled %s to %s, want 13 February 2009, UK time", start, end)
	}
	if trigger != "schedule" || strings.Join(kinds, " ") != CurrencyMismatch+" "+CurrencyMismatch {
		t.Errorf("report by %q with differences %v, want the schedule's with two of %s", trigger, kinds, CurrencyMismatch)
	}
	var emails int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'mail.send'`).Scan(&emails); err != nil {
		t.Fatal(err)
	}
	if emails != 1 {
		t.Errorf("%d report emails queued, want 1 (the treasurer's)", emails)
	}
}
