package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/harmedpatients/hpa/internal/stripemock"
	"github.com/jackc/pgx/v5/pgxpool"
)

// eventCapacity is the places of the event people register for: far fewer
// than the registrations the load makes, so it fills while instances
// restart and every later registration must go on the waiting list.
const eventCapacity = 15

// newEvent publishes an online event with eventCapacity places.
func (c *client) newEvent(token string) (string, error) {
	auth := http.Header{"Authorization": {"Bearer " + token}}
	status, _, body := c.do(http.MethodPost, c.base+"/v1/opportunities", map[string]any{"kind": "webinar",
		"title": "Cluster test event", "summary": "Registrations from every instance at once.", "organiser_name": "HPA",
		"online": true, "capacity": eventCapacity, "starts_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, auth)
	var opp struct{ ID string }
	if status != http.StatusCreated || json.Unmarshal(body, &opp) != nil {
		return "", fmt.Errorf("create opportunity: %d %s", status, body)
	}
	status, _, body = c.do(http.MethodPost, c.base+"/v1/opportunities/"+opp.ID+"/review", map[string]string{"action": "publish"}, auth)
	if status != http.StatusOK {
		return "", fmt.Errorf("publish opportunity: %d %s", status, body)
	}
	return opp.ID, nil
}

var registrations atomic.Int64

// register signs a new person up for the event every interval, each from
// an address of its own; a registration is either confirmed or
// waitlisted, whichever instance takes it.
func register(ctx context.Context, c *client, r *report, opportunity string, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n := registrations.Add(1)
		body := map[string]string{"name": fmt.Sprintf("Cluster registrant %d", n), "email": fmt.Sprintf("registrant-%d@example.org", n)}
		status, _, respBody := c.do(http.MethodPost, c.base+"/v1/opportunities/"+opportunity+"/registrations", body,
			http.Header{"X-Forwarded-For": {randomAddress()}})
		r.request("registration", status == http.StatusCreated, status, respBody)
		if status == http.StatusCreated {
			r.tally("registrations", true, nil)
		}
	}
}

// checkBooking checks the event was filled exactly: every place taken,
// none twice, everyone else on the waiting list.
func checkBooking(ctx context.Context, pool *pgxpool.Pool, opportunity string, r *report) {
	var confirmed, waitlisted int
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'confirmed'), count(*) FILTER (WHERE status = 'waitlisted')
		FROM registrations WHERE opportunity_id = $1`, opportunity).Scan(&confirmed, &waitlisted)
	made := r.get("registrations").accepted
	r.check("no overbooking across instances", err == nil && confirmed == min(made, eventCapacity) && confirmed+waitlisted == made,
		fmt.Sprintf("%d registrations acknowledged: %d confirmed (capacity %d), %d waitlisted %s", made, confirmed, eventCapacity, waitlisted, errOrEmpty(err)))
}

var gifts atomic.Int64

// deliverWebhooks sends a paid checkout every interval as Stripe does:
// signed, and delivered twice (Stripe delivers at least once), so the two
// copies usually reach different instances.
func deliverWebhooks(ctx context.Context, c *client, r *report, run, secret string, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n := gifts.Add(1)
		pi := fmt.Sprintf("pi_cluster_%s_%d", run, n)
		payload := stripemock.Event(fmt.Sprintf("evt_cluster_%s_%d", run, n), "checkout.session.completed", time.Now(), map[string]any{
			"id": "cs_" + pi, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
			"amount_total": 1000 + n, "currency": "gbp", "customer": "cus_" + pi, "payment_intent": pi,
			"customer_details": map[string]any{"email": fmt.Sprintf("donor-%d@example.org", n), "name": "Cluster Donor"},
			"metadata":         map[string]any{"hpa_campaign": "general"},
		})
		acked := false
		for range 2 {
			h := http.Header{"Stripe-Signature": {stripemock.Sign(payload, time.Now(), secret)}}
			status, _, body := c.retry(r, "stripe webhook", http.MethodPost, c.base+"/v1/webhooks/stripe", string(payload), h)
			r.request("stripe webhook", status == http.StatusOK, status, body)
			acked = acked || status == http.StatusOK
		}
		if acked {
			r.tally("gifts", true, nil)
		}
	}
}

// checkGifts checks each acknowledged checkout became exactly one gift.
func checkGifts(ctx context.Context, pool *pgxpool.Pool, run string, r *report) {
	var donations, distinct int
	err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT stripe_payment_intent_id) FROM donations
		WHERE stripe_payment_intent_id LIKE 'pi_cluster_' || $1 || '_%'`, run).Scan(&donations, &distinct)
	acked := r.get("gifts").accepted
	r.check("each Stripe event recorded once across instances", err == nil && donations == acked && distinct == acked,
		fmt.Sprintf("%d checkouts acknowledged (each delivered twice): %d gifts, %d payments %s", acked, donations, distinct, errOrEmpty(err)))
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
