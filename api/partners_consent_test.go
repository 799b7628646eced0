package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/members"
)

// When someone who is already a member is signed up by a second
// organisation with partner-sharing consent, that consent is recorded
// once the person confirms it with the link HPA emails them.
func TestASecondOrganisationsSharingConsentIsRecorded(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_SIGNUP_EMAIL_INTERVAL": "1ns"})
	const email = "twice@example.org"
	srv.MemberToken(t, email)
	key, org := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", Body: partnerSignup(email), APIKey: key}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("second signup: %d %s", r.StatusCode, r.Body)
	}
	srv.WaitForSignups(t)
	msg := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Text, "already a member") })
	if r := post(srv, "/v1/members/sign-in", map[string]string{"token": apitest.TokenFrom(t, msg)}, ""); r.StatusCode != http.StatusOK {
		t.Fatalf("use the link: %d %s", r.StatusCode, r.Body)
	}
	purpose := members.PartnerPurpose(org.String())
	if n := countRows(t, srv, `SELECT count(*) FROM consent_events c JOIN members m ON m.id = c.member_id
		WHERE c.purpose = $1 AND c.granted AND c.source = 'partner' AND m.status = 'active'`, purpose); n != 1 {
		t.Fatalf("%d %s consents recorded, want 1", n, purpose)
	}
}
