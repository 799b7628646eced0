package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// BenchmarkWebhookFanout emits BENCH_EVENTS events (10,000 by default)
// for an organisation with 20 endpoints: 18 answer at once, one after
// BENCH_SLOW (200 ms), one always 500. It reports how fast the 18 healthy
// endpoints' deliveries complete (healthy deliveries/s, from the first
// event emitted to the last delivery recorded), the slow endpoint's rate,
// the failing endpoint's first attempts, and signups/s (POST
// /v1/partner/members, 16 concurrent clients, 5 s) before the events and
// while they are delivered: the in-run baseline for "without delaying
// signups". scripts/bench/webhook-fanout.sh runs it.
func BenchmarkWebhookFanout(b *testing.B) {
	events := envInt("BENCH_EVENTS", 10_000)
	slow, _ := time.ParseDuration(cmpOr(os.Getenv("BENCH_SLOW"), "200ms"))
	srv := apitest.Start(b, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true", "HPA_WEBHOOK_RETRY_DELAYS": "1h",
		"HPA_SIGNUP_RATE_LIMIT": "10000000", "HPA_MAIL_TRANSPORT": "log"})
	key, org := srv.NewAPIKey(b, identity.ScopeMembersSignup, identity.ScopeWebhooksManage)
	var slowID, failingID string
	for i := range 20 {
		handler := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		switch i {
		case 18:
			handler = func(http.ResponseWriter, *http.Request) { time.Sleep(slow) }
		case 19:
			handler = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }
		}
		rc := httptest.NewServer(handler)
		b.Cleanup(rc.Close)
		id := addEndpoint(b, srv, key, rc.URL, "outcome.published").Endpoint.ID
		switch i {
		case 18:
			slowID = id
		case 19:
			failingID = id
		}
	}
	if n := countRows(b, srv, `SELECT count(*) FROM webhook_endpoints`); n != 20 {
		b.Fatalf("%d endpoints", n)
	}

	signups := func(d time.Duration) float64 {
		var done atomic.Int64
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		for c := range 16 {
			wg.Go(func() {
				for i := 0; time.Now().Before(stop); i++ {
					body, _ := json.Marshal(apitest.SignupBody(fmt.Sprintf("bench-%s-%d-%d@example.org", uuid.NewString()[:8], c, i)))
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/partner/members", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-API-Key", key)
					resp, err := client.Do(req)
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode == http.StatusAccepted {
							done.Add(1)
						}
					}
				}
			})
		}
		wg.Wait()
		return float64(done.Load()) / d.Seconds()
	}
	before := signups(5 * time.Second)
	srv.WaitForSignups(b)

	b.ResetTimer()
	start := time.Now()
	ctx := context.Background()
	const perTx = 100
	for i := 0; i < events; i += perTx {
		err := store.WithTx(ctx, srv.Pool, func(tx pgx.Tx) error {
			for j := i; j < min(i+perTx, events); j++ {
				e := webhooks.Event{Type: webhooks.TypeOutcomePublished, OrganisationID: &org, Data: webhooks.OutcomePublished{
					OpportunityID: uuid.NewString(), OutcomeID: int64(j), Summary: "What we learned, number " + strconv.Itoa(j), PublishedAt: time.Now()}}
				if err := srv.App.Webhooks.Emit(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	emitted := time.Since(start)
	during := signups(5 * time.Second)
	healthy := 18 * events
	var healthyDone time.Duration
	apitest.Eventually(b, 30*time.Minute, "healthy deliveries done", func() bool {
		time.Sleep(200 * time.Millisecond)
		n := countRows(b, srv, `SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded' AND endpoint_id NOT IN ($1, $2)`, slowID, failingID)
		if n >= healthy && healthyDone == 0 {
			healthyDone = time.Since(start)
		}
		return healthyDone != 0
	})
	failedFirst := countRows(b, srv, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND attempts > 0`, failingID)
	slowDone := countRows(b, srv, `SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'succeeded'`, slowID)
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(healthy)/healthyDone.Seconds(), "healthy-deliveries/s")
	b.ReportMetric(float64(slowDone)/elapsed.Seconds(), "slow-endpoint/s")
	b.ReportMetric(float64(failedFirst), "failing-attempted")
	b.ReportMetric(emitted.Seconds(), "emit-s")
	b.ReportMetric(before, "signups/s-before")
	b.ReportMetric(during, "signups/s-during")
	b.ReportMetric(during/before, "signup-ratio")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
