package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// The operations the issue names, each sent a body that is valid but for
// one string: a NUL in it, or bytes that are not UTF-8. Each answers 422
// naming the field, and nothing is stored or queued: before, some
// answered 500 (which partners are told to retry, for ever) and signups
// answered 202 for a job that could never succeed.
func TestUnstorableTextInAValidBodyIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "100000", "HPA_SIGNUP_RATE_LIMIT": "100000"})
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	member := srv.MemberToken(t, "text-member@example.org")
	editor := srv.StaffToken(t, identity.RoleEditor)
	var opp opportunityBody
	post(srv, "/v1/opportunities", map[string]any{"kind": "listening-event", "title": "Listening event", "summary": "Come and be heard.",
		"organiser_name": "HPA", "location": "Cardiff", "starts_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}, editor).JSON(t, &opp)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}}); r.StatusCode != 200 {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
	}
	signup := func(email string) map[string]any {
		b := apitest.SignupBody(email)
		b["special_category_consent"] = true
		b["special_category"] = map[string]any{"harmed": "yes", "experience": "My story"}
		b["audiences"] = []string{"harmed-patient-family"}
		return b
	}
	cases := []struct {
		name, method, path, token, key string
		body                           map[string]any
		field                          []string // the JSON path to the string made bad
		location                       string
	}{
		{"signup: name", "POST", "/v1/members", "", "", signup("a@example.org"), []string{"name"}, "body.name"},
		{"signup: own words, nested", "POST", "/v1/members", "", "", signup("b@example.org"), []string{"special_category", "experience"}, "body.special_category.experience"},
		{"signup: an audience, in an array", "POST", "/v1/members", "", "", signup("c@example.org"), []string{"audiences", "0"}, "body.audiences[0]"},
		{"partner signup: organisation", "POST", "/v1/partner/members", "", key, signup("d@example.org"), []string{"organisation"}, "body.organisation"},
		{"login: email", "POST", "/v1/auth/login", "", "", map[string]any{"email": "e@example.org", "password": "a long enough password"}, []string{"email"}, "body.email"},
		{"login: password", "POST", "/v1/auth/login", "", "", map[string]any{"email": "e@example.org", "password": "a long enough password"}, []string{"password"}, "body.password"},
		{"member's own profile: name", "PATCH", "/v1/me", member, "", map[string]any{"name": "Sam"}, []string{"name"}, "body.name"},
		{"registration: access needs", "POST", "/v1/opportunities/" + opp.ID + "/registrations", "", "",
			map[string]any{"name": "Gwen", "email": "gwen@example.org", "accessibility_needs": "A quiet room", "accessibility_consent": true}, []string{"accessibility_needs"}, "body.accessibility_needs"},
		{"registration: name", "POST", "/v1/opportunities/" + opp.ID + "/registrations", "", "",
			map[string]any{"name": "Gwen", "email": "gwen@example.org"}, []string{"name"}, "body.name"},
	}
	for _, c := range cases {
		for _, bad := range unstorableText {
			body := withText(t, c.body, c.field, bad.json)
			r := srv.Do(apitest.Request{Method: c.method, Path: c.path, Token: c.token, APIKey: c.key, Body: body})
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s, %s: %d %s, want 422", c.name, bad.name, r.StatusCode, r.Body)
				continue
			}
			p := r.Problem(t)
			if p.Code != "invalid-text" || len(p.Errors) != 1 || p.Errors[0].Location != c.location {
				t.Errorf("%s, %s: %+v, want invalid-text at %s", c.name, bad.name, p, c.location)
			}
			if bytes.Contains(r.Body, []byte("a\\u0000b")) || !json.Valid(r.Body) {
				t.Errorf("%s, %s: the problem echoes the bad value: %s", c.name, bad.name, r.Body)
			}
		}
	}
	srv.WaitForJobs(t, "member.signup")
	if n := countRows(t, srv, `SELECT count(*) FROM members`); n != 1 {
		t.Errorf("%d members, want only the one who signed up properly", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM registrations`); n != 0 {
		t.Errorf("%d registrations stored, want none", n)
	}
}

// withText returns body, as JSON, with the string at path replaced by
// text (JSON string contents, which may hold bytes that are not UTF-8).
func withText(t *testing.T, body map[string]any, path []string, text string) string {
	t.Helper()
	const marker = "\x01unstorable\x01"
	var v any = body
	for i, p := range path {
		last := i == len(path)-1
		switch c := v.(type) {
		case map[string]any:
			if last {
				defer func(old any) { c[p] = old }(c[p])
				c[p] = marker
			}
			v = c[p]
		case []string:
			if last {
				old := c[0]
				c[0] = marker
				defer func() { c[0] = old }()
			}
		default:
			t.Fatalf("cannot follow %v in %v", path, body)
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.Replace(b, []byte(`\u0001unstorable\u0001`), []byte(text), 1))
}
