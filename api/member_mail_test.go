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

// A member's link emails are written when they are sent: the job names the
// member, the template and a reference, and holds neither the address,
// the name nor the token the email carries. A member erased while their
// email waits to be retried gets nothing: the erasure deletes the job, and
// a run already under way finds the member erased and completes without
// sending (internal/members: TestLinkEmailsAreWrittenAtSendingTimeAndNotForAnErasedMember).
func TestMemberEmailJobsHoldOnlyIDsAndAnErasedMemberGetsNothing(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	const email = "Orla.Quillfeather@example.org"

	member := srv.MemberToken(t, email)
	confirmation := srv.Mail.To(email)[0]
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
	}
	link := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "sign-in link") })
	if !strings.Contains(link.Text, "Member "+email) {
		t.Errorf("the sign-in email does not greet the member by the name they gave:\n%s", link.Text)
	}
	for _, secret := range []string{apitest.TokenFrom(t, confirmation), apitest.TokenFrom(t, link), email, "Quillfeather"} {
		if n := countJobs(t, srv, `river_job::text ILIKE '%' || '`+secret+`' || '%'`); n != 0 {
			t.Errorf("%d job rows hold %q", n, secret)
		}
	}
	if n := countJobs(t, srv, `kind = 'mail.compose' AND args ?& array['template', 'member_id', 'token'] AND NOT args ? 'sealed'`); n != 2 {
		t.Errorf("%d composed member emails, want the confirmation and the sign-in link", n)
	}

	// The next link's email fails, then the member is erased before the retry.
	if _, err := srv.Pool.Exec(ctx, `DELETE FROM member_email_throttle`); err != nil { // one sign-in link every two minutes
		t.Fatal(err)
	}
	srv.Mail.SetFailing(true)
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 20*time.Second, "the email's first attempt failed", func() bool {
		return countJobs(t, srv, `kind = 'mail.compose' AND state IN ('retryable', 'available') AND errors IS NOT NULL`) == 1
	})
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: member}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.SetFailing(false)
	sent := len(srv.Mail.To(email))
	if _, err := srv.Pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE kind = 'mail.compose' AND state IN ('retryable', 'available')`); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 20*time.Second, "the job finished or deleted", func() bool {
		return countJobs(t, srv, `kind = 'mail.compose' AND state NOT IN ('completed', 'discarded', 'cancelled')`) == 0
	})
	if n := countJobs(t, srv, `kind = 'mail.compose'`); n != 0 {
		t.Errorf("%d composed emails left after the erasure, want none", n)
	}
	if now := len(srv.Mail.To(email)); now != sent {
		t.Errorf("%d emails sent to the erased member", now-sent)
	}
}
