package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
)

// A burst of signups is carried out by the signup queue in batches: each
// becomes one member with one confirmation email, and none leaves a job of
// its own behind (a job row per signup, kept a day, was most of what a
// member cost the database).
func TestABurstOfSignupsIsCarriedOutWithoutAJobEach(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_SIGNUP_RATE_LIMIT": "1000"})
	const n = 60
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if r := post(srv, "/v1/members", apitest.SignupBody(fmt.Sprintf("burst%d@example.org", i)), ""); r.StatusCode != 202 {
				t.Errorf("signup %d: %d %s", i, r.StatusCode, r.Body)
			}
		})
	}
	wg.Wait()
	srv.WaitForSignups(t)
	ctx := context.Background()
	var members, emails, signupJobs int
	err := srv.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM members),
		(SELECT count(*) FROM river_job WHERE kind = 'mail.compose' AND args->>'template' = 'member-confirm'),
		(SELECT count(*) FROM river_job WHERE kind = 'members.signup')`).Scan(&members, &emails, &signupJobs)
	if err != nil {
		t.Fatal(err)
	}
	if members != n || emails != n || signupJobs != 0 {
		t.Errorf("%d signups: %d members, %d confirmation emails, %d signup jobs; want %d, %d, 0", n, members, emails, signupJobs, n, n)
	}
	apitest.Eventually(t, 10*time.Second, "every confirmation delivered", func() bool { return len(srv.Mail.Messages()) == n })
}

// A signup that cannot be carried out (here: a row no key opens) does not
// hold up the others queued with it: it is put back to be tried later, and
// the rest become members.
func TestASignupThatFailsIsPutBackAndTheOthersGoThrough(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	if _, err := srv.Pool.Exec(ctx, `INSERT INTO member_signup_requests (id, payload_sealed) VALUES (gen_random_uuid(), '\x00')`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if r := post(srv, "/v1/members", apitest.SignupBody(fmt.Sprintf("ok%d@example.org", i)), ""); r.StatusCode != 202 {
			t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
		}
	}
	apitest.Eventually(t, 10*time.Second, "the good signups carried out", func() bool {
		var members int
		_ = srv.Pool.QueryRow(ctx, `SELECT count(*) FROM members`).Scan(&members)
		return members == 3
	})
	var attempts, waiting int
	var later bool
	err := srv.Pool.QueryRow(ctx, `SELECT max(attempts), count(*), bool_and(run_after > now()) FROM member_signup_requests`).Scan(&attempts, &waiting, &later)
	if err != nil {
		t.Fatal(err)
	}
	if waiting != 1 || attempts < 1 || !later {
		t.Errorf("the bad signup: %d rows left, %d attempts, put back for later: %v; want 1 row, ≥ 1 attempt, true", waiting, attempts, later)
	}
}
