package api_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/members"
)

// waitForMemberWork waits for the background work signup and sign-in-link
// requests lead to: queued signups, sign-in-link jobs and their emails.
func waitForMemberWork(t testing.TB, srv *apitest.Server) {
	t.Helper()
	srv.WaitForSignups(t)
	srv.WaitForJobs(t, "members.sign_in_link", "mail.send", "mail.compose")
}

// timingRatio times known and unknown requests in n pairs, alternating
// which goes first, and returns the median of each and the median of the
// pairs' ratios. Each request's background work is let finish before the
// next is timed, so what is compared is the request path alone; pairing
// makes the comparison robust to the load of a shared machine drifting
// during the test.
func timingRatio(t *testing.T, srv *apitest.Server, n int, known, unknown func(i int) *apitest.Response) (k, u time.Duration, ratio float64) {
	t.Helper()
	measure := func(f func(int) *apitest.Response, i int) time.Duration {
		start := time.Now()
		r := f(i)
		d := time.Since(start)
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d %s", r.Request.URL.Path, r.StatusCode, r.Body)
		}
		waitForMemberWork(t, srv)
		return d
	}
	for i := range 3 { // warm up both paths (connections, plans)
		measure(known, -1-i)
		measure(unknown, -1-i)
	}
	var ks, us []time.Duration
	var ratios []float64
	for i := range n {
		var kd, ud time.Duration
		if i%2 == 0 {
			kd, ud = measure(known, i), measure(unknown, i)
		} else {
			ud, kd = measure(unknown, i), measure(known, i)
		}
		ks, us, ratios = append(ks, kd), append(us, ud), append(ratios, float64(kd)/float64(ud))
	}
	slices.Sort(ks)
	slices.Sort(us)
	slices.Sort(ratios)
	return ks[n/2], us[n/2], ratios[n/2]
}

// Asking for a sign-in link takes as long for a member's address as for
// any other: the answer is the same, and so must its timing be.
func TestSignInLinkTimingDoesNotRevealMembers(t *testing.T) {
	// Not parallel: it measures how long answers take.
	if testing.Short() {
		t.Skip("timing test")
	}
	srv := apitest.Start(t, map[string]string{"HPA_SIGNUP_RATE_LIMIT": "100000"})
	srv.MemberToken(t, "known-member@example.org")
	ask := func(email string) *apitest.Response {
		return post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, "")
	}
	k, u, ratio := timingRatio(t, srv, 31,
		func(int) *apitest.Response { return ask("known-member@example.org") },
		func(int) *apitest.Response { return ask("nobody-here@example.org") })
	t.Logf("median sign-in-link request: member %s, unknown address %s; median ratio of pairs %.2f", k, u, ratio)
	if ratio < 0.7 || ratio > 1.43 {
		t.Errorf("timing differs: member %s vs unknown %s", k, u)
	}
}

// Signing up with a member's address takes as long as signing up with a
// new one.
func TestSignupTimingDoesNotRevealMembers(t *testing.T) {
	// Not parallel: it measures how long answers take.
	if testing.Short() {
		t.Skip("timing test")
	}
	srv := apitest.Start(t, map[string]string{"HPA_SIGNUP_RATE_LIMIT": "100000"})
	srv.MemberToken(t, "known-member@example.org")
	signup := func(email string) *apitest.Response { return post(srv, "/v1/members", apitest.SignupBody(email), "") }
	k, u, ratio := timingRatio(t, srv, 31,
		func(int) *apitest.Response { return signup("known-member@example.org") },
		func(i int) *apitest.Response { return signup(fmt.Sprintf("new%d@example.org", i+10)) })
	t.Logf("median signup: member %s, new address %s; median ratio of pairs %.2f", k, u, ratio)
	if ratio < 0.7 || ratio > 1.43 {
		t.Errorf("timing differs: member %s vs new %s", k, u)
	}
}

// liveTokens counts confirmation and sign-in tokens that could still be
// used.
func liveTokens(t *testing.T, srv *apitest.Server) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM member_tokens WHERE used_at IS NULL AND expires_at > now()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A sign-in token exists only if the email carrying it was sent: requests
// the per-address throttle turns away mint nothing.
func TestSignInLinksMintOnlyWhatIsSent(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_SIGNUP_RATE_LIMIT": "100000"})
	const email = "many-links@example.org"
	srv.MemberToken(t, email)
	for range 10 {
		if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, ""); r.StatusCode != http.StatusAccepted {
			t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
		}
	}
	for range 5 { // "already a member": the confirmation used the hour's signup email
		post(srv, "/v1/members", apitest.SignupBody(email), "")
	}
	waitForMemberWork(t, srv)
	var emails int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.compose'
		AND args->>'template' IN ('member-magic-link', 'member-already')`).Scan(&emails); err != nil {
		t.Fatal(err)
	}
	if n := liveTokens(t, srv); n != 1 || emails != 1 {
		t.Errorf("after 10 sign-in-link requests and 5 signups: %d live tokens for %d emails, want 1 and 1", n, emails)
	}
}

// The "already a member" email's sign-in link lives as long as any other
// sign-in link: 15 minutes.
func TestAlreadyMemberLinkLivesFifteenMinutes(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	const email = "already@example.org"
	srv.MemberToken(t, email)
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE member_email_throttle SET last_sent_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	post(srv, "/v1/members", apitest.SignupBody(email), "")
	msg := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "already") })
	sum := sha256.Sum256([]byte(apitest.TokenFrom(t, msg)))
	var lifetime time.Duration
	if err := srv.Pool.QueryRow(context.Background(), `SELECT expires_at - created_at FROM member_tokens WHERE token_hash = $1`, sum[:]).Scan(&lifetime); err != nil {
		t.Fatal(err)
	}
	if lifetime < 14*time.Minute || lifetime > 15*time.Minute+5*time.Second {
		t.Errorf("already-a-member sign-in link lives %s, want 15 minutes", lifetime)
	}
	if !strings.Contains(msg.Text, "15 minutes") {
		t.Errorf("the email does not say how long the link works:\n%s", msg.Text)
	}
}

// Someone who erased their data and joins again gets a new membership: the
// tombstone and its consent history stay as they were, and the retention
// purge of unconfirmed signups never touches them.
func TestRejoiningAfterErasureIsANewMembership(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_PENDING_MEMBER_TTL": "1h"})
	ctx := context.Background()
	const email = "rejoiner@example.org"
	token := srv.MemberToken(t, email)
	var me memberRecord
	srv.Do(apitest.Request{Path: "/v1/me", Token: token}).JSON(t, &me)
	oldID := me.Profile.ID
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: token}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}
	tombstone := func() (status string, name *string, consents int) {
		t.Helper()
		if err := srv.Pool.QueryRow(ctx, `SELECT status, name, (SELECT count(*) FROM consent_events WHERE member_id = m.id)
			FROM members m WHERE id = $1`, oldID).Scan(&status, &name, &consents); err != nil {
			t.Fatalf("tombstone %s: %v", oldID, err)
		}
		return status, name, consents
	}
	_, _, consentsBefore := tombstone()
	// The confirmation used the address's signup email for the hour; let it pass.
	if _, err := srv.Pool.Exec(ctx, `UPDATE member_email_throttle SET last_sent_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	body := apitest.SignupBody(email)
	body["name"] = "A New Start"
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup again: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Text, "A New Start") })
	if status, name, consents := tombstone(); status != "erased" || name != nil || consents != consentsBefore {
		t.Errorf("tombstone after signing up again: %s, name %v, %d consent events (was %d)", status, name, consents, consentsBefore)
	}
	var newID string
	if err := srv.Pool.QueryRow(ctx, `SELECT id::text FROM members WHERE status = 'pending'`).Scan(&newID); err != nil || newID == oldID {
		t.Errorf("new membership: %q (%v), tombstone %s", newID, err, oldID)
	}

	// Never confirmed, the new signup is purged; the tombstone is not.
	if _, err := srv.Pool.Exec(ctx, `UPDATE members SET created_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Jobs().Insert(ctx, retentionArgs(), nil); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "the unconfirmed signup is purged", func() bool {
		var n int
		_ = srv.Pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE status = 'pending'`).Scan(&n)
		return n == 0
	})
	srv.WaitForJobs(t, "retention.purge")
	if status, name, consents := tombstone(); status != "erased" || name != nil || consents != consentsBefore {
		t.Errorf("tombstone after the purge: %s, name %v, %d consent events (was %d)", status, name, consents, consentsBefore)
	}

	// Staff cannot add the address back: only its owner can.
	v := members.MembershipConsent.Version
	staff := srv.StaffToken(t, identity.RoleMembership)
	var report struct {
		Imported   int `json:"imported"`
		Duplicates []struct {
			Message string `json:"message"`
		} `json:"duplicates"`
	}
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/import", Body: "email,name,consent_version\n" + email + ",Imported," + v + "\n",
		Token: staff, Header: http.Header{"Content-Type": {"text/csv"}}}).JSON(t, &report)
	if report.Imported != 0 || len(report.Duplicates) != 1 {
		t.Errorf("importing an erased address: %+v", report)
	}

	// Joining once more and confirming: sign-in and staff search find the
	// live membership, never the tombstone.
	if _, err := srv.Pool.Exec(ctx, `DELETE FROM member_email_throttle`); err != nil {
		t.Fatal(err)
	}
	body["name"] = "Third Time"
	post(srv, "/v1/members", body, "")
	confirm := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Text, "Third Time") })
	var session struct {
		MemberToken string `json:"member_token"`
	}
	post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, confirm)}, "").JSON(t, &session)
	srv.Do(apitest.Request{Path: "/v1/me", Token: session.MemberToken}).JSON(t, &me)
	if me.Profile.ID == oldID || me.Profile.Status != "active" {
		t.Fatalf("rejoined membership: %+v", me.Profile)
	}
	post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, "")
	link := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "sign-in") })
	post(srv, "/v1/members/sign-in", map[string]string{"token": apitest.TokenFrom(t, link)}, "").JSON(t, &session)
	srv.Do(apitest.Request{Path: "/v1/me", Token: session.MemberToken}).JSON(t, &me)
	if me.Profile.ID == oldID {
		t.Errorf("signed in to the tombstone %s", oldID)
	}
	var page struct {
		Items []struct{ ID, Status string } `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/members?q=" + email, Token: staff}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != me.Profile.ID {
		t.Errorf("staff search by address: %+v, want only %s", page.Items, me.Profile.ID)
	}
}
