package api_test

import (
	"net/http"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
)

// An instance told to stop fails its readiness probe at once, so a load
// balancer stops sending it requests, while it still serves those that
// arrive before the balancer has noticed.
func TestALeavingInstanceFailsReadinessButStillServes(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	if r := srv.Get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz before: %d %s", r.StatusCode, r.Body)
	}
	srv.App.Drain()
	r := srv.Get("/readyz")
	if r.StatusCode != http.StatusServiceUnavailable || r.Problem(t).Code != "shutting-down" || r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz while leaving: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Get("/v1/site"); r.StatusCode != http.StatusOK {
		t.Errorf("a request while leaving: %d %s", r.StatusCode, r.Body)
	}
}
