package database

import (
	"context"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Readiness checks that the database answers and its schema is current.
type Readiness struct {
	Pool     *pgxpool.Pool
	Migrator *Migrator
}

// Ready returns nil when the service can serve, or an EUNAVAILABLE error
// whose message is safe to show to anyone.
func (r Readiness) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.Pool.Ping(ctx); err != nil {
		return UnavailableError()
	}
	pending, err := r.Migrator.Pending(ctx)
	if err != nil {
		return hpa.Errorf(hpa.EUNAVAILABLE, "the schema version could not be read")
	}
	if pending {
		return hpa.Errorf(hpa.EUNAVAILABLE, "database migrations are pending; run `hpa migrate up`")
	}
	return nil
}
