package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type createdShare struct {
	Token string
	Share struct {
		ID               string
		Status           string
		Reports          []string
		PasswordRequired bool `json:"password_required"`
	}
}

// shareHelpers gives a shared-link test its three steps: an admin creates
// a link (and it is active, with its token), a reader reads a path with
// the link's token and, for a password, its session, and a refusal is
// checked for its status and code.
func shareHelpers(t *testing.T, srv *apitest.Server, admin string) (
	share func(body map[string]any) createdShare,
	read func(path, token, session string) *apitest.Response,
	refused func(r *apitest.Response, status int, code string),
) {
	share = func(body map[string]any) createdShare {
		t.Helper()
		var out createdShare
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/shares", Token: admin, Body: body})
		r.JSON(t, &out)
		if r.StatusCode != http.StatusCreated || !strings.HasPrefix(out.Token, "hpa_share_") || out.Share.Status != "active" {
			t.Fatalf("create share: %d %s", r.StatusCode, r.Body)
		}
		return out
	}
	read = func(path, token, session string) *apitest.Response {
		h := http.Header{"X-Share-Token": {token}}
		if session != "" {
			h.Set("X-Share-Session", session)
		}
		return srv.Do(apitest.Request{Path: path, Header: h})
	}
	refused = func(r *apitest.Response, status int, code string) {
		t.Helper()
		if p := r.Problem(t); r.StatusCode != status || p.Code != code {
			t.Errorf("%s: %d %s, want %d %s", r.Request.URL.Path, r.StatusCode, r.Body, status, code)
		}
	}
	return share, read, refused
}

// An admin shares the figures with trustees through a link: they read
// the same aggregates as staff (checked against the raw events), only the
// reports the link allows, never realtime figures, exports or queries
// that could single out a visit, and not once it is revoked or expired.
func TestSharedLinksReadAggregatesOnly(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	twoVisitors(t, srv)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	share, read, refused := shareHelpers(t, srv, admin)

	open := share(map[string]any{"name": "Trustees"})
	if len(open.Share.Reports) != 15 || open.Share.PasswordRequired {
		t.Errorf("a link without a report list: %+v", open.Share)
	}
	var summary struct{ Visitors, Pageviews int64 }
	r := read("/v1/shared-stats/summary?period=day", open.Token, "")
	r.JSON(t, &summary)
	if r.StatusCode != 200 || summary.Pageviews != count(t, srv, `SELECT count(*) FROM visit_events WHERE name = 'pageview'`) ||
		summary.Visitors != count(t, srv, `SELECT count(DISTINCT visitor_id) FROM visit_events`) {
		t.Errorf("shared summary: %d %s", r.StatusCode, r.Body)
	}
	if got := r.Header.Get("RateLimit-Policy"); got != `"shared-stats";q=120;w=60` || r.Header.Get("RateLimit") == "" {
		t.Errorf("RateLimit-Policy %q", got)
	}
	var pages struct{ Results []struct{ Value string } }
	r = read("/v1/shared-stats/breakdown/page?period=day", open.Token, "")
	r.JSON(t, &pages)
	if r.StatusCode != 200 || len(pages.Results) != 3 {
		t.Errorf("shared pages: %d %s", r.StatusCode, r.Body)
	}
	r = read("/v1/shared-stats/timeseries?period=day&interval=hour", open.Token, "")
	if r.StatusCode != 200 {
		t.Errorf("shared timeseries: %d %s", r.StatusCode, r.Body)
	}
	// An outside page's address can name a person: never shared.
	refused(read("/v1/shared-stats/breakdown/referrer?period=day", open.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/summary", "hpa_share_not-a-link", ""), 404, "not-found")
	// The token is no credential for anything else.
	for _, path := range []string{"/v1/stats/realtime", "/v1/stats/export?period=day", "/v1/stats/summary", "/v1/stats/shares"} {
		refused(read(path, open.Token, ""), 401, "credentials-required")
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", Header: http.Header{"X-Share-Token": {open.Token}},
		Body: map[string]any{"metrics": []string{"visitors"}, "date_range": "day"}})
	refused(r, 401, "credentials-required")

	// A link with a password and only the summary.
	locked := share(map[string]any{"name": "Partner", "password": "correct horse battery", "reports": []string{"summary"}})
	refused(read("/v1/shared-stats/summary?period=day", locked.Token, ""), 401, "credentials-required")
	unlock := func(password string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/shared-stats/session",
			Header: http.Header{"X-Share-Token": {locked.Token}}, Body: map[string]any{"password": password}})
	}
	refused(unlock("wrong horse battery"), 403, "wrong-password")
	var session struct{ Session string }
	r = unlock("correct horse battery")
	r.JSON(t, &session)
	if r.StatusCode != 201 || session.Session == "" {
		t.Fatalf("unlock: %d %s", r.StatusCode, r.Body)
	}
	if r := read("/v1/shared-stats/summary?period=day", locked.Token, session.Session); r.StatusCode != 200 {
		t.Errorf("unlocked summary: %d %s", r.StatusCode, r.Body)
	}
	refused(read("/v1/shared-stats/summary?period=day", locked.Token, "hpa_share_forged"), 401, "invalid-token")
	// The session is the locked link's only: it opens no other link.
	other := share(map[string]any{"name": "Other", "password": "another good password"})
	refused(read("/v1/shared-stats/summary?period=day", other.Token, session.Session), 401, "invalid-token")
	refused(read("/v1/shared-stats/timeseries?period=day", locked.Token, session.Session), 403, "insufficient-permissions")
	var info struct {
		Name             string
		PasswordRequired bool `json:"password_required"`
		Reports          []string
	}
	r = read("/v1/shared-stats", locked.Token, "")
	r.JSON(t, &info)
	if r.StatusCode != 200 || info.Name != "Partner" || !info.PasswordRequired || len(info.Reports) != 1 {
		t.Errorf("link info: %d %s", r.StatusCode, r.Body)
	}

	// Revoked and expired links stop at once, sessions included.
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/shares/" + locked.Share.ID, Token: admin}); r.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
	}
	refused(read("/v1/shared-stats/summary?period=day", locked.Token, session.Session), 403, "forbidden")
	refused(unlock("correct horse battery"), 403, "forbidden")
	if _, err := srv.Pool.Exec(t.Context(), `UPDATE visit_shares SET expires_at = now() - interval '1 minute' WHERE id = $1`, open.Share.ID); err != nil {
		t.Fatal(err)
	}
	refused(read("/v1/shared-stats/summary?period=day", open.Token, ""), 403, "forbidden")
	var list struct {
		Shares []struct{ ID, Status string }
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/shares", Token: admin})
	r.JSON(t, &list)
	statuses := map[string]string{}
	for _, s := range list.Shares {
		statuses[s.ID] = s.Status
	}
	if len(list.Shares) != 3 || statuses[locked.Share.ID] != "revoked" || statuses[open.Share.ID] != "expired" || strings.Contains(string(r.Body), "hpa_share_") {
		t.Errorf("list: %s", r.Body)
	}
	if n := count(t, srv, `SELECT count(*) FROM audit_events WHERE action IN ('stats_share.create', 'stats_share.revoke')`); n != 4 {
		t.Errorf("%d audit events, want 3 creations and a revocation", n)
	}
	if n := count(t, srv, `SELECT count(*) FROM visit_shares WHERE id = $2 AND token_hash = sha256(convert_to($1, 'UTF8'))
		AND password_hash LIKE '$argon2id$%' AND strpos(visit_shares::text, $1) = 0`, locked.Token, locked.Share.ID); n != 1 {
		t.Errorf("the token and password are not kept as hashes only")
	}

	for _, body := range []map[string]any{
		{"name": "Past", "expires_at": time.Now().Add(-time.Hour)},
		{"name": "Short password", "password": "short"},
		{"name": "Unknown report", "reports": []string{"realtime"}},
	} {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/shares", Token: admin, Body: body}); r.StatusCode != 422 {
			t.Errorf("%v: %d %s", body, r.StatusCode, r.Body)
		}
	}
}
