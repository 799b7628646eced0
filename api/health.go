package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// readinessChecker says whether the service can do useful work.
type readinessChecker interface {
	// Ready returns nil when the database answers and its schema is current,
	// and an error safe to show otherwise.
	Ready(ctx context.Context) error
}

type health struct {
	Status string `json:"status" enum:"ok" doc:"Always ok: the process is up and serving."`
}

type readiness struct {
	Status string `json:"status" enum:"ready" doc:"The database is reachable and every migration is applied."`
}

type healthOutput struct{ Body health }

type readyOutput struct{ Body readiness }

func registerHealth(hapi huma.API, ready readinessChecker) {
	register(hapi, public, huma.Operation{
		OperationID: "get-health",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness probe",
		Description: "Answers 200 while the process is serving HTTP, whatever the state of its dependencies. Never rate limited.",
		Tags:        []string{"Operations"},
		Metadata:    map[string]any{noDatabaseKey: true},
	}, func(context.Context, *struct{}) (*healthOutput, error) {
		return &healthOutput{Body: health{Status: "ok"}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-readiness",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness probe",
		Description: "Answers 200 when the database is reachable and its schema is current, 503 otherwise (`database-unavailable` while it cannot be reached, with `Retry-After`). " +
			"From the moment the instance is told to stop it answers 503 `shutting-down`, while it goes on serving for `HPA_SHUTDOWN_DRAIN_DELAY`, so a load balancer polling it takes it out of the pool before it stops accepting. Never rate limited.",
		Tags:   []string{"Operations"},
		Errors: []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		if err := ready.Ready(ctx); err != nil {
			return nil, err
		}
		return &readyOutput{Body: readiness{Status: "ready"}}, nil
	})
}
