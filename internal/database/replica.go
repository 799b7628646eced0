package database

import (
	"context"
	"math"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// NewReplicaLagGauge returns the gauge hpa_db_replica_lag_seconds: how far
// the read replica behind replica is behind the primary, read from the
// replica at each scrape (NaN when it does not answer within a second).
func NewReplicaLagGauge(replica *pgxpool.Pool) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hpa_db_replica_lag_seconds",
		Help: "Seconds the read replica (HPA_DATABASE_READ_URL) is behind the primary: statistics and exports read from it are this much older.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		lag, err := store.Q.ReplicaLagSeconds(ctx, replica)
		if err != nil {
			return math.NaN()
		}
		return lag
	})
}
