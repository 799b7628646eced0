package apitest

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/members"
)

var linkToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// TokenFrom returns the token in the first link of an email's text.
func TokenFrom(t testing.TB, m mailtest.Message) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no token link in email %q", m.Subject)
	}
	return match[1]
}

// SignupBody is a valid site signup for email.
func SignupBody(email string) map[string]any {
	return map[string]any{"email": email, "name": "Member " + email, "membership_consent": true,
		"consent_version": members.MembershipConsent.Version, "interests": []string{"surveys", "webinars"}}
}

// MemberToken signs email up, confirms through the emailed link and
// returns the member token the confirmation gives.
func (s *Server) MemberToken(t testing.TB, email string) string {
	t.Helper()
	if r := s.Do(Request{Method: http.MethodPost, Path: "/v1/members", Body: SignupBody(email)}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup %s: %d %s", email, r.StatusCode, r.Body)
	}
	msg := s.Mail.WaitFor(t, email, 10*time.Second, nil)
	r := s.Do(Request{Method: http.MethodPost, Path: "/v1/members/confirm", Body: map[string]string{"token": TokenFrom(t, msg)}})
	var out struct {
		MemberToken string `json:"member_token"`
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK || out.MemberToken == "" {
		t.Fatalf("confirm %s: %d %s", email, r.StatusCode, r.Body)
	}
	return out.MemberToken
}
