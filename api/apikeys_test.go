package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type keyBody struct {
	ID             string   `json:"id"`
	OrganisationID string   `json:"organisation_id"`
	Prefix         string   `json:"prefix"`
	Scopes         []string `json:"scopes"`
	Key            string   `json:"key"`
	RevokedAt      string   `json:"revoked_at"`
	LastUsedAt     string   `json:"last_used_at"`
}

func TestAPIKeyLifecycle(t *testing.T) {
	// Not parallel: it holds revocation to a one-second deadline.
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)

	r := post(srv, "/v1/organisations", map[string]string{"name": "Example Research Team", "website": "https://research.example.org"}, admin)
	var org struct{ ID string }
	r.JSON(t, &org)
	if r.StatusCode != 201 {
		t.Fatalf("create organisation: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/organisations", map[string]string{"name": "example research team"}, admin); r.StatusCode != 409 {
		t.Errorf("duplicate organisation name: %d", r.StatusCode)
	}

	r = post(srv, "/v1/api-keys", map[string]any{"organisation_id": org.ID, "name": "stats script", "scopes": []string{"stats:read"}}, admin)
	var resp struct {
		Key    string  `json:"key"`
		APIKey keyBody `json:"api_key"`
	}
	r.JSON(t, &resp)
	created := resp.APIKey
	created.Key = resp.Key
	if r.StatusCode != 201 || !strings.HasPrefix(created.Key, "hpa_test_") || !strings.HasPrefix(created.Key, created.Prefix) || len(created.Key) < 50 {
		t.Fatalf("create key: %d %s", r.StatusCode, r.Body)
	}
	// Only a hash is stored: the key appears nowhere in the database.
	var hits int
	if err := srv.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM api_keys k WHERE k::text LIKE '%' || $1 || '%'`, created.Key[len(created.Prefix):]).Scan(&hits); err != nil || hits != 0 {
		t.Errorf("key secret found in api_keys (%d rows, %v)", hits, err)
	}
	// Listing never shows the secret.
	list := srv.Do(apitest.Request{Path: "/v1/api-keys?organisation_id=" + org.ID, Token: admin})
	if strings.Contains(string(list.Body), created.Key) || !strings.Contains(string(list.Body), created.Prefix) {
		t.Errorf("list: %s", list.Body)
	}

	// The key works, and says what it is.
	var self keyBody
	r = srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: created.Key})
	r.JSON(t, &self)
	if r.StatusCode != 200 || self.ID != created.ID || self.OrganisationID != org.ID {
		t.Fatalf("key self-description: %d %s", r.StatusCode, r.Body)
	}
	// A key is not a staff token and cannot do staff things.
	if r := srv.Do(apitest.Request{Path: "/v1/staff", APIKey: created.Key}); r.StatusCode != 403 {
		t.Errorf("key on an admin operation: %d", r.StatusCode)
	}
	apitest.Eventually(t, 2*time.Second, "last_used_at recorded", func() bool {
		var k keyBody
		srv.Do(apitest.Request{Path: "/v1/api-keys/" + created.ID, Token: admin}).JSON(t, &k)
		return k.LastUsedAt != ""
	})

	// Tampered and unknown keys are refused.
	last := created.Key[len(created.Key)-1]
	flipped := created.Key[:len(created.Key)-1] + map[bool]string{true: "B", false: "A"}[last == 'A']
	for _, bad := range []string{created.Key + "x", flipped, "hpa_test_nonexistentkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "garbage"} {
		if r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: bad}); r.StatusCode != 401 || r.Problem(t).Code != "invalid-api-key" {
			t.Errorf("bad key %q: %d", bad, r.StatusCode)
		}
	}

	// Revocation applies at once.
	r = srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/api-keys/" + created.ID, Token: admin})
	if r.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, time.Second, "revoked key refused", func() bool {
		return srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: created.Key}).StatusCode == 401
	})
}

func TestExpiredKeysOriginsAndPerKeyLimits(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	past := time.Now().Add(time.Hour)
	expiring, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeStatsRead}, ExpiresAt: &past})
	if r := srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: expiring}); r.StatusCode != 200 {
		t.Fatalf("key before expiry: %d", r.StatusCode)
	}
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE api_keys SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, time.Second, "expired key refused", func() bool {
		return srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: expiring}).StatusCode == 401
	})

	browser, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeMembersSignup}, AllowedOrigins: []string{"https://partner.example.org"}})
	call := func(origin string) int {
		return srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: browser, Header: http.Header{"Origin": {origin}}}).StatusCode
	}
	if call("https://partner.example.org") != 200 || call("https://elsewhere.example") != 403 {
		t.Errorf("origin checks: allowed %d, other %d", call("https://partner.example.org"), call("https://elsewhere.example"))
	}

	limited, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeStatsRead}, RateLimitPerMinute: 2})
	codes := []int{}
	for i := 0; i < 3; i++ {
		codes = append(codes, srv.Do(apitest.Request{Path: "/v1/auth/key", APIKey: limited}).StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("per-key limit of 2: %v", codes)
	}
}

func TestCredentialHeadersAreStrict(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	token := srv.StaffToken(t, identity.RoleAdmin)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	both := srv.Do(apitest.Request{Path: "/v1/auth/me", Token: token, APIKey: key})
	if both.StatusCode != 401 {
		t.Errorf("bearer and key together: %d", both.StatusCode)
	}
	basic := srv.Do(apitest.Request{Path: "/v1/auth/me", Header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}})
	if basic.StatusCode != 401 || basic.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("basic auth: %d %q", basic.StatusCode, basic.Header.Get("WWW-Authenticate"))
	}
	// Credentials that are not text (bytes that are not UTF-8; HTTP
	// itself refuses NUL in headers) are refused as credentials, before
	// any lookup: like any other wrong key or token, never a 500.
	for name, h := range map[string]http.Header{
		"key":    {"X-Api-Key": {key[:len(key)-4] + "\xff\xfe\xfd\xfc"}},
		"key id": {"X-Api-Key": {"hpa_test_\xff\xfe\xfd\xfc\xff\xfe\xfd\xfc\xff\xfe\xfd\xfc" + key[len("hpa_test_")+12:]}},
		"bearer": {"Authorization": {"Bearer " + token[:len(token)-4] + "\xff\xfe\xfd\xfc"}},
	} {
		r := srv.Do(apitest.Request{Path: "/v1/auth/key", Header: h})
		if code := r.Problem(t).Code; r.StatusCode != 401 || (code != "invalid-api-key" && code != "invalid-token") {
			t.Errorf("%s that is not UTF-8: %d %s", name, r.StatusCode, r.Body)
		}
	}
	// A stale token on a public page is ignored, not an error.
	if r := srv.Do(apitest.Request{Path: "/v1/site", Token: "expired.or.garbage"}); r.StatusCode != 200 {
		t.Errorf("public page with a bad token: %d", r.StatusCode)
	}
}
