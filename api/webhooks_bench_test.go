package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/stripemock"
)

// BenchmarkWebhookThroughput delivers signed Stripe events over HTTP from
// 8 concurrent senders: checkout.session.completed for new payments (each
// re-fetching its payment from stripe-mock as in production), 30 %
// redeliveries of earlier events (some concurrent with the first
// delivery), and one in ten a charge.refunded delivered before its
// payment's event (out of order: it waits). It reports events/s, the same
// senders' GET /healthz rate in the same run as the baseline, and their
// ratio, then checks the ledger holds exactly one entry per money
// movement: a gift per payment, a refund per refund.
// scripts/bench/webhooks.sh runs it.
func BenchmarkWebhookThroughput(b *testing.B) {
	srv := startGiving(b, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	const senders = 8
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	n := max(b.N, 10)
	var distinct [][]byte
	order := make([]int, n)
	payments, refunds := 0, 0
	// Of every ten deliveries, six are new payments, one a refund made in
	// Stripe's dashboard of the payment whose event comes 34 deliveries
	// later (out of order: it waits for it), three redeliveries.
	paymentAt := func(k int) int { return k/10*6 + k%10 }
	for j := range order {
		switch {
		case j%10 < 6:
			i := len(distinct)
			donor := payments % 200
			distinct = append(distinct, stripemock.Event(fmt.Sprintf("evt_bench_%s_%d", run, i), "checkout.session.completed", time.Now(),
				checkoutCompleted("", "general", int64(1000+payments%50), fmt.Sprintf("donor%d@example.org", donor), "Bench Donor",
					fmt.Sprintf("cus_bench_%d", donor), fmt.Sprintf("pi_bench_%s_%d", run, payments))))
			order[j] = i
			payments++
		case j%10 == 6 && j+34 < n:
			i, p := len(distinct), paymentAt(j+34)
			distinct = append(distinct, stripemock.Event(fmt.Sprintf("evt_bench_%s_%d", run, i), "charge.refunded", time.Now(),
				chargeRefunded(fmt.Sprintf("ch_bench_%s_%d", run, p), fmt.Sprintf("pi_bench_%s_%d", run, p), int64(1000+p%50), 300)))
			order[j] = i
			refunds++
		default:
			order[j] = (j * 7919) % len(distinct) // an earlier event, again
		}
	}
	fire := func(send func(i int) error) time.Duration {
		work := make(chan int, n)
		for _, i := range order {
			work <- i
		}
		close(work)
		var wg sync.WaitGroup
		var failed error
		var mu sync.Mutex
		start := time.Now()
		for range senders {
			wg.Go(func() {
				for i := range work {
					if err := send(i); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if failed != nil {
			b.Fatal(failed)
		}
		return time.Since(start)
	}
	do := func(req *http.Request) error {
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return nil
	}
	b.ResetTimer()
	baseline := fire(func(int) error {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
		return do(req)
	})
	webhooks := fire(func(i int) error {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/webhooks/stripe", bytes.NewReader(distinct[i]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", stripemock.Sign(distinct[i], time.Now(), webhookSecret))
		return do(req)
	})
	b.StopTimer()
	eventsPerSec := float64(n) / webhooks.Seconds()
	b.ReportMetric(eventsPerSec, "events/s")
	b.ReportMetric(float64(n)/baseline.Seconds(), "healthz/s")
	b.ReportMetric(eventsPerSec/(float64(n)/baseline.Seconds()), "ratio")
	b.ReportMetric(float64(len(distinct)), "distinct")
	if got := countRows(b, srv, `SELECT count(*) FROM donations WHERE stripe_payment_intent_id LIKE 'pi_bench_' || $1 || '_%'`, run); got != payments {
		b.Fatalf("%d gifts for %d distinct payments", got, payments)
	}
	// Exactly one entry per money movement: a gift per payment, a refund
	// per refund (every refunded payment was delivered: it waited).
	entries := `SELECT count(*) FROM ledger_entries e JOIN donations d ON d.id = e.donation_id
		WHERE d.stripe_payment_intent_id LIKE 'pi_bench_' || $1 || '_%' AND e.kind = $2`
	if got := countRows(b, srv, entries, run, "gift"); got != payments {
		b.Fatalf("%d gift entries for %d distinct payments", got, payments)
	}
	if got := countRows(b, srv, entries, run, "refund"); got != refunds {
		b.Fatalf("%d refund entries for %d refunds", got, refunds)
	}
	if got := countRows(b, srv, `SELECT count(*) FROM stripe_events WHERE id LIKE 'evt_bench_' || $1 || '_%'`, run); got != len(distinct) {
		b.Fatalf("%d stored events for %d distinct events", got, len(distinct))
	}
}
