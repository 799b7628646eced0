package api_test

import (
	"context"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// With HPA_DATABASE_READ_URL, statistics are read from the replica, and
// /metrics says how far behind it is. The "replica" here is a second
// database holding different figures, so the answer shows which was read.
func TestStatisticsReadTheReplica(t *testing.T) {
	t.Parallel()
	replicaURL := pgtest.URL(t)
	replica, err := pgxpool.New(context.Background(), replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	if _, err := replica.Exec(context.Background(), `INSERT INTO visit_bot_counts (day, reason, count) VALUES ((now() AT TIME ZONE 'UTC')::date, 'flood', 42)`); err != nil {
		t.Fatal(err)
	}
	srv := apitest.Start(t, map[string]string{"HPA_DATABASE_READ_URL": replicaURL, "HPA_VISITS_TIMEZONE": "UTC"})
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	var summary struct {
		Bots int64 `json:"bots"`
	}
	r := srv.Do(apitest.Request{Path: "/v1/stats/summary?period=day", APIKey: key})
	r.JSON(t, &summary)
	if r.StatusCode != 200 || summary.Bots != 42 {
		t.Errorf("summary from the replica: %d %s, want the replica's 42 bots", r.StatusCode, r.Body)
	}
	if lag := metricValue(t, srv, "hpa_db_replica_lag_seconds"); lag != "0" {
		t.Errorf("replica lag metric %q, want 0 for a database that is not behind", lag)
	}
}
