package api_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
)

// Each test here is one promise docs/partners.md makes to a partner's
// developer, checked the way that developer would meet it.

// partnerSignup is a valid partner signup body for email.
func partnerSignup(email string) map[string]any {
	b := apitest.SignupBody(email)
	b["partner_sharing_consent"] = true
	return b
}

// rawPost sends body as it is, with exactly the headers given (apitest.Do
// would add a Content-Type), and checks the answer against the contract.
func rawPost(t *testing.T, srv *apitest.Server, path, body string, header http.Header) *apitest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &apitest.Response{Response: resp, Body: b}
	apitest.CheckContract(t, req, r)
	return r
}

// "Each key has its own limit … on top of a per-address limit": a key's
// requests are counted against the key, so a key allowed more than the
// per-address limit can use all of it from one address. Requests without
// a valid key still meet the per-address limit.
func TestAKeysOwnLimitIsReachable(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_RATE_LIMIT": "5"})
	key, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeMembersSignup}, RateLimitPerMinute: 8})
	for i := 1; i <= 8; i++ {
		if r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: key}); r.StatusCode != http.StatusOK {
			t.Fatalf("request %d of the key's 8 a minute: %d %s", i, r.StatusCode, r.Body)
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: key})
	if r.StatusCode != http.StatusTooManyRequests || r.Problem(t).Code != "rate-limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("request 9 of 8: %d %s", r.StatusCode, r.Body)
	}
	if !strings.Contains(r.Problem(t).Detail, "API key") {
		t.Errorf("the refusal should say the key's limit was reached: %s", r.Body)
	}

	// A wrong key is no way round the per-address limit.
	for i := 1; i <= 6; i++ {
		r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: "hpa_test_notarealkey000000000000000"})
		want := http.StatusUnauthorized
		if i == 6 {
			want = http.StatusTooManyRequests
		}
		if r.StatusCode != want {
			t.Fatalf("bad key, request %d: %d, want %d", i, r.StatusCode, want)
		}
	}
}

// "422 consent-required: membership_consent was not true", also when it
// was left out.
func TestMissingMembershipConsentIsConsentRequired(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	for _, path := range []string{"/v1/partner/members", "/v1/members"} {
		body := partnerSignup("left-out@example.org")
		delete(body, "membership_consent")
		if path == "/v1/members" {
			delete(body, "partner_sharing_consent")
		}
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: body, APIKey: key})
		if r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "consent-required" {
			t.Errorf("%s without membership_consent: %d %s", path, r.StatusCode, r.Body)
		}
	}
}

// "415 unsupported-media-type: send Content-Type: application/json".
func TestABodyWithoutContentTypeIs415(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	body := `{"email":"no-type@example.org","name":"No Type","membership_consent":true,"consent_version":"` + members.MembershipConsent.Version + `"}`
	r := rawPost(t, srv, "/v1/partner/members", body, http.Header{"X-Api-Key": {key}})
	if r.StatusCode != http.StatusUnsupportedMediaType || r.Problem(t).Code != "unsupported-media-type" {
		t.Fatalf("no Content-Type: %d %s", r.StatusCode, r.Body)
	}
	r = rawPost(t, srv, "/v1/partner/members", body, http.Header{"X-Api-Key": {key}, "Content-Type": {"application/json"}})
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("with Content-Type: %d %s", r.StatusCode, r.Body)
	}
	// Operations without a body need no Content-Type.
	if r := rawPost(t, srv, "/v1/unsubscribe?token=x", "", http.Header{}); r.StatusCode == http.StatusUnsupportedMediaType {
		t.Errorf("bodiless POST: %d %s", r.StatusCode, r.Body)
	}
}

// "Retry with the same key and body": the same JSON serialised again
// (keys in another order, other whitespace) is the same body.
func TestIdempotencyComparesMeaningNotBytes(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	v := members.MembershipConsent.Version
	send := func(body string) *apitest.Response {
		return rawPost(t, srv, "/v1/partner/members", body, http.Header{"X-Api-Key": {key}, "Content-Type": {"application/json"},
			"Idempotency-Key": {"7e0c1f4a-2b3d-4c5e-8f90-a1b2c3d4e5f6"}})
	}
	first := send(`{"email":"again@example.org","name":"Again","membership_consent":true,"consent_version":"` + v + `","interests":["surveys"]}`)
	if first.StatusCode != http.StatusAccepted {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
	retry := send("{\n  \"interests\": [ \"surveys\" ],\n  \"consent_version\": \"" + v + "\",\n  \"membership_consent\": true,\n  \"name\": \"Again\",\n  \"email\": \"again@example.org\"\n}\n")
	if retry.StatusCode != http.StatusAccepted || retry.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(retry.Body, first.Body) {
		t.Fatalf("re-serialised retry: %d %q %s", retry.StatusCode, retry.Header.Get("Idempotent-Replayed"), retry.Body)
	}
	other := send(`{"email":"again@example.org","name":"Someone Else","membership_consent":true,"consent_version":"` + v + `","interests":["surveys"]}`)
	if other.StatusCode != http.StatusUnprocessableEntity || other.Problem(t).Code != "idempotency-key-reused" {
		t.Fatalf("different body: %d %s", other.StatusCode, other.Body)
	}
	srv.WaitForSignups(t)
	if n := countRows(t, srv, `SELECT count(*) FROM members WHERE source = 'partner'`); n != 1 {
		t.Errorf("%d members, want 1", n)
	}
}

// "The answer names your organisation, the key's scopes and its rate
// limit".
func TestCurrentKeyNamesItsOrganisation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, org := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	var body struct {
		OrganisationID     string   `json:"organisation_id"`
		OrganisationName   string   `json:"organisation_name"`
		Scopes             []string `json:"scopes"`
		RateLimitPerMinute int      `json:"rate_limit_per_minute"`
	}
	r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: key})
	r.JSON(t, &body)
	if r.StatusCode != http.StatusOK || body.OrganisationID != org.String() || !strings.HasPrefix(body.OrganisationName, "Partner ") ||
		len(body.Scopes) != 1 || body.RateLimitPerMinute == 0 {
		t.Fatalf("GET /v1/auth/key: %d %s", r.StatusCode, r.Body)
	}
}

// A key restricted to origins is a publishable signup key for a partner's
// web page: a browser on that page can use it (CORS preflight and all),
// and it works nowhere else, not even without an Origin.
func TestAnOriginRestrictedKeyWorksInItsBrowserOnly(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	const site = "https://join.partner.example"
	key, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeMembersSignup}, AllowedOrigins: []string{site}})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/partner/members", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,idempotency-key,x-api-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := preflight(site); resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") != site {
		t.Errorf("preflight from the key's origin: %d, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp := preflight("https://elsewhere.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
	signup := func(email, origin string) *apitest.Response {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", Body: partnerSignup(email), APIKey: key, Header: h})
	}
	if r := signup("browser@example.org", site); r.StatusCode != http.StatusAccepted || r.Header.Get("Access-Control-Allow-Origin") != site {
		t.Errorf("from the key's origin: %d %q %s", r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"), r.Body)
	}
	for name, origin := range map[string]string{"without an Origin": "", "from another origin": "https://elsewhere.example"} {
		if r := signup("elsewhere@example.org", origin); r.StatusCode != http.StatusForbidden || r.Problem(t).Code != "origin-not-allowed" {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}

	// Such a key sits in a web page for anyone to copy, so it may do
	// nothing but sign people up.
	admin := srv.StaffToken(t, identity.RoleAdmin)
	_, org := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	r := post(srv, "/v1/api-keys", map[string]any{"organisation_id": org.String(), "name": "page key",
		"scopes": []string{"members:signup", "opportunities:write"}, "allowed_origins": []string{site}}, admin)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "body.scopes") {
		t.Errorf("an origin-restricted key with more than members:signup: %d %s", r.StatusCode, r.Body)
	}
}
