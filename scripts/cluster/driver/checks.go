package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// checkVisits waits for every acknowledged beacon to be written (by the
// instance that took it, even one restarted since) and rolled up, then
// compares the statistics (read from the replica) with the raw count.
func checkVisits(ctx context.Context, c *client, pool *pgxpool.Pool, token string, r *report) {
	want := int64(r.get("beacons").accepted)
	var raw, stats int64
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM visit_events WHERE pathname = '/cluster-test'`).Scan(&raw)
		status, _, body := c.do(http.MethodGet, c.base+"/v1/stats/summary?period=day", nil, http.Header{"Authorization": {"Bearer " + token}})
		var summary struct {
			Pageviews int64 `json:"pageviews"`
		}
		if status == http.StatusOK && json.Unmarshal(body, &summary) == nil {
			stats = summary.Pageviews
		}
		if raw == want && stats == want {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	r.check("every acknowledged beacon stored, and the statistics equal the raw count", raw == want && stats == want,
		fmt.Sprintf("%d acknowledged, %d stored, %d in the statistics", want, raw, stats))
}

// periodicKinds are the periodic jobs and how often they run.
var periodicKinds = map[string]time.Duration{
	"visits.rollup": 2 * time.Second, "visits.maintain": time.Hour, "retention.purge": time.Hour, "webhooks.sweep": 10 * time.Second,
}

// checkPeriodic checks that each periodic job ran once per tick: never
// two runs scheduled within half an interval of each other, but for the
// run River makes when a new leader takes over (at most one per restart).
func checkPeriodic(ctx context.Context, pool *pgxpool.Pool, restarts int, r *report) {
	ok, detail := true, ""
	for kind, every := range periodicKinds {
		var runs, close int
		err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE gap < make_interval(secs => $2))
			FROM (SELECT scheduled_at - lag(scheduled_at) OVER (ORDER BY scheduled_at) AS gap FROM river_job WHERE kind = $1) g`,
			kind, every.Seconds()/2).Scan(&runs, &close)
		if err != nil {
			r.check("periodic jobs", false, err.Error())
			return
		}
		ok = ok && runs >= 1 && close <= restarts
		detail += fmt.Sprintf(" %s: %d runs, %d within half an interval of the last;", kind, runs, close)
	}
	r.check("each periodic job ran once per tick", ok, strings.TrimSuffix(strings.TrimSpace(detail), ";"))
}
