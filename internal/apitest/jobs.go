package apitest

import (
	"context"
	"testing"
	"time"
)

// WaitForJobs waits until no River job of the given kinds is waiting to
// run or running, so a test can look at what background work did (or
// measure a request without the previous one's work still going on).
func (s *Server) WaitForJobs(t testing.TB, kinds ...string) {
	t.Helper()
	Eventually(t, 10*time.Second, "background jobs finished", func() bool {
		var n int
		err := s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind = ANY ($1) AND state IN ('available', 'pending', 'running', 'retryable', 'scheduled')`, kinds).Scan(&n)
		if err != nil {
			t.Fatalf("count jobs: %v", err)
		}
		return n == 0
	})
}

// WaitForSignups waits until every signup queued is carried out (see
// internal/members, queue.go) and its email job finished, and fails the
// test after ten seconds.
func (s *Server) WaitForSignups(t testing.TB) {
	t.Helper()
	Eventually(t, 10*time.Second, "queued signups carried out", func() bool {
		var n int
		if err := s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM member_signup_requests`).Scan(&n); err != nil {
			t.Fatalf("count queued signups: %v", err)
		}
		return n == 0
	})
	s.WaitForJobs(t, "mail.send", "mail.compose")
}

// RollUpVisits runs rollup passes until no day has raw events the
// rollups have not counted, so a test can read reports of what it sent.
// One pass is not enough: a day another pass holds (this process's own
// refresh, every second) is left to that pass.
func (s *Server) RollUpVisits(t testing.TB) {
	t.Helper()
	Eventually(t, 10*time.Second, "visits rolled up", func() bool {
		if _, err := s.App.Visits.Rollup(context.Background()); err != nil {
			t.Fatalf("roll up visits: %v", err)
		}
		var dirty int
		if err := s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM visit_rollup_dirty`).Scan(&dirty); err != nil {
			t.Fatalf("count dirty days: %v", err)
		}
		return dirty == 0
	})
}
