package donations

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

// BenchmarkMonthEndReport builds the month-end report over a month of
// 100,000 gifts (with a fee each and a refund for one in ten, 210,000
// entries) spread over the four campaigns, against a baseline in the
// same run: a plain count of the same month's entries. It reports both
// and their ratio; the target is a report in under a second.
// scripts/bench/month-end.sh runs it.
func BenchmarkMonthEndReport(b *testing.B) {
	pool := pgtest.Pool(b)
	ctx := context.Background()
	const gifts = 100_000
	if _, err := pool.Exec(ctx, `
		INSERT INTO donations (campaign_id, amount_pence, fee_pence, channel, method, frequency, stripe_payment_intent_id, paid_at)
		SELECT (SELECT id FROM campaigns ORDER BY position OFFSET g % 4 LIMIT 1), 500 + g % 5000, 20 + g % 50, 'online', 'card', 'one_off',
		    'pi_bench_' || g, '2026-11-01 00:00:00+00'::timestamptz + (g % 2592000) * interval '1 second'
		FROM generate_series(1, $1::int) g`, gifts); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
		SELECT 'gift', amount_pence, id, campaign_id, paid_at, 'bench', 'gift:' || id FROM donations;
		INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
		SELECT 'fee', -fee_pence, id, campaign_id, paid_at, 'bench', 'fee:' || id FROM donations;
		INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
		SELECT 'refund', -100, id, campaign_id, paid_at + interval '3 days', 'bench', 'refund:' || id FROM donations WHERE amount_pence % 10 = 0;
		ANALYZE donations; ANALYZE ledger_entries`); err != nil {
		b.Fatal(err)
	}
	s := NewService(pool, Deps{Logger: logging.Discard()}, Settings{}, time.Now)
	from, to, err := ParseMonth("2026-11", "month")
	if err != nil {
		b.Fatal(err)
	}
	var baseline, report time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		var n int64
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM ledger_entries WHERE occurred_at >= $1 AND occurred_at < $2`, from, to).Scan(&n); err != nil {
			b.Fatal(err)
		}
		baseline += time.Since(start)
		start = time.Now()
		r, err := s.MonthEndReport(ctx, "2026-11")
		if err != nil {
			b.Fatal(err)
		}
		report += time.Since(start)
		if r.Total.Gifts != gifts || n < gifts {
			b.Fatalf("the report counts %d gifts of %d (%d entries)", r.Total.Gifts, gifts, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(report.Milliseconds())/float64(b.N), "report-ms")
	b.ReportMetric(float64(baseline.Milliseconds())/float64(b.N), "count-ms")
	b.ReportMetric(report.Seconds()/baseline.Seconds(), "ratio")
}
