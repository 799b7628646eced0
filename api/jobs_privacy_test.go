package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

// No job row, whatever its kind or state, holds a person's address or name
// in clear: not the arguments (a member's email names the member by ID and
// is written when sent, other emails are sealed, other jobs name rows by
// ID or keyed hash), and not the errors River keeps from failed attempts,
// where mail clients and servers name the recipient. Here one person's
// confirmation email fails until it is discarded, another's is sent, and
// a sign-in link is asked for; then every river_job row is read as text.
func TestNoPersonalDataInClearInFinishedOrDiscardedJobs(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	const refused, sent = "Ada.Leakwell@example.org", "grace.plainview@example.org"

	srv.Mail.SetFailing(true)
	if r := post(srv, "/v1/members", apitest.SignupBody(refused), ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 20*time.Second, "the refused email's first attempt failed", func() bool {
		// Its next attempt, at once, is its last: the job is discarded after it.
		tag, err := srv.Pool.Exec(ctx, `UPDATE river_job SET max_attempts = attempt + 1, scheduled_at = now()
			WHERE kind = 'mail.compose' AND state IN ('retryable', 'available') AND errors IS NOT NULL AND max_attempts > attempt + 1`)
		return err == nil && tag.RowsAffected() == 1
	})
	apitest.Eventually(t, 30*time.Second, "the refused email discarded", func() bool {
		return countJobs(t, srv, `kind = 'mail.compose' AND state = 'discarded' AND errors IS NOT NULL`) == 1
	})
	srv.Mail.SetFailing(false)
	srv.MemberToken(t, sent)
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": sent}, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, sent, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "sign-in link") })
	apitest.Eventually(t, 10*time.Second, "every job finished", func() bool {
		return countJobs(t, srv, `kind IN ('mail.compose', 'members.sign_in_link') AND state NOT IN ('completed', 'discarded')`) == 0
	})
	if n := countJobs(t, srv, `kind = 'mail.compose' AND state = 'completed'`); n < 2 {
		t.Fatalf("%d emails sent, want the confirmation and the sign-in link", n)
	}
	if n := countJobs(t, srv, `kind = 'members.sign_in_link' AND state = 'completed'`); n != 1 {
		t.Fatalf("%d sign-in-link jobs finished, want 1", n)
	}

	for _, clear := range []string{refused, "Leakwell", sent, "plainview"} {
		rows, err := srv.Pool.Query(ctx, `SELECT kind, state, river_job::text FROM river_job WHERE river_job::text ILIKE '%' || $1 || '%'`, clear)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind, state, row string
			if err := rows.Scan(&kind, &state, &row); err != nil {
				t.Fatal(err)
			}
			t.Errorf("a %s job (%s) holds %q in clear: %s", kind, state, clear, row)
		}
		rows.Close()
	}
}

func countJobs(t *testing.T, srv *apitest.Server, where string) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
