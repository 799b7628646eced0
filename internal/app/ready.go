package app

import (
	"context"
	"sync/atomic"

	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// readiness is the /readyz check: the database's, until the instance
// starts leaving, from when it fails so that a load balancer sends the
// instance nothing more while it finishes what it has.
type readiness struct {
	database.Readiness
	leaving *atomic.Bool
}

// Ready implements the API's readiness checker.
func (r readiness) Ready(ctx context.Context) error {
	if r.leaving.Load() {
		return &hpa.Error{Code: hpa.EUNAVAILABLE, Reason: "shutting-down", RetryAfterSeconds: 1,
			Message: "this instance is shutting down; send requests to another"}
	}
	return r.Readiness.Ready(ctx)
}

// Drain starts the instance leaving: /readyz fails from now on. The HTTP
// server goes on serving for the drain delay (see httpserver.Drain).
func (a *App) Drain() {
	if !a.leaving.Swap(true) {
		a.logger.Info("shutting down: /readyz now fails so the load balancer stops sending requests")
	}
}
