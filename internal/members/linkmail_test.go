package members

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/mail"
)

// A link email is written when it is sent, from the member's row: to the
// address they gave, by their name, with a token that works. Once the link
// is used, or the member erased, nothing is written, so the job completes
// without sending.
func TestLinkEmailsAreWrittenAtSendingTimeAndNotForAnErasedMember(t *testing.T) {
	t.Parallel()
	s, b := setup(t)
	ctx := context.Background()
	queued := func(email string) mail.ComposeArgs {
		t.Helper()
		if err := s.Signup(ctx, Signup{Email: email, ConsentVersion: MembershipConsent.Version, Source: SourceSite,
			Profile: Profile{Name: "Nia Tegwen", Interests: []string{"surveys"}}}); err != nil {
			t.Fatalf("signup: %v", err)
		}
		if n, err := s.signupBatch(ctx, nil); err != nil || n != 1 {
			t.Fatalf("carrying out the queued signup: %d signups, %v", n, err)
		}
		var raw []byte
		if err := b.pool.QueryRow(ctx, `SELECT args FROM river_job WHERE kind = 'mail.compose' ORDER BY id DESC LIMIT 1`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(string(raw)), "tegwen") || strings.Contains(string(raw), "@") {
			t.Errorf("the job holds personal data: %s", raw)
		}
		var args mail.ComposeArgs
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatal(err)
		}
		return args
	}

	args := queued("nia@example.org")
	e, err := s.composeLink(ctx, args)
	if err != nil || e == nil {
		t.Fatalf("writing the confirmation: %v, %v", e, err)
	}
	if e.To != "nia@example.org" || e.Data["Name"] != "Nia Tegwen" || e.Unsubscribe == nil {
		t.Errorf("confirmation to %q for %v, unsubscribe %v", e.To, e.Data["Name"], e.Unsubscribe)
	}
	link, err := url.Parse(e.Data["ConfirmURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("token")
	if job, _ := json.Marshal(args); token == "" || strings.Contains(string(job), token) {
		t.Errorf("the job %s holds the token %q", job, token)
	}
	if _, err := s.Confirm(ctx, token); err != nil {
		t.Fatalf("confirming with the written link: %v", err)
	}
	if e, err := s.composeLink(ctx, args); err != nil || e != nil {
		t.Errorf("after the link was used: %v, %v; want nothing to send", e, err)
	}

	args = queued("owain@example.org")
	if err := s.Erase(ctx, args.MemberID); err != nil {
		t.Fatal(err)
	}
	if e, err := s.composeLink(ctx, args); err != nil || e != nil {
		t.Errorf("after the member was erased: %v, %v; want nothing to send", e, err)
	}
}
