package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

// While PostgreSQL is away (crashed, or shut down for a restart), every
// operation that needs it answers 503 database-unavailable with
// Retry-After, never a 500; the public content this process has read is
// still served; /readyz says not ready. When PostgreSQL is back the
// service recovers by itself, without a restart.
func TestDatabaseOutageAnswers503AndRecovers(t *testing.T) {
	// Not parallel: it stops and starts a PostgreSQL cluster and times the recovery.
	cluster := pgtest.StartCluster(t)
	srv := apitest.StartOn(t, cluster.NewDatabase(t), unlimited)
	ops := operationsErasureLast()
	callers := map[string]apitest.Caller{}
	for _, o := range ops {
		callers[o.op.OperationID] = srv.CallerFor(t, o.op.Security)
	}
	staff := srv.CallerFor(t, []map[string][]string{{"staffBearer": {"membership"}}})
	key := srv.CallerFor(t, []map[string][]string{{"apiKey": {"members:signup"}}})
	member := srv.CallerFor(t, []map[string][]string{{"memberBearer": {}}})
	loginEmail, loginPassword := srv.NewStaff(t, identity.RoleEditor)

	var list struct {
		Items []struct {
			Slug string `json:"slug"`
		} `json:"items"`
	}
	srv.Get("/v1/pages").JSON(t, &list)
	if len(list.Items) == 0 {
		t.Fatal("no seeded pages")
	}
	public := []string{"/v1/site", "/v1/pages", "/v1/pages/" + list.Items[0].Slug, "/v1/audiences", "/v1/navigation"}
	etags := map[string]string{}
	for _, p := range public {
		r := srv.Get(p)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s before the outage: %d", p, r.StatusCode)
		}
		etags[p] = r.Header.Get("ETag")
	}

	// Requests of each kind that would succeed with the database up.
	kinds := []struct {
		name string
		req  apitest.Request
	}{
		{"public read", apitest.Request{Path: "/v1/search?q=harm"}},
		{"public write: signup", apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody("outage@example.org")}},
		{"sign-in", apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Body: map[string]string{"email": loginEmail, "password": loginPassword}}},
		{"staff read", apitest.Request{Path: "/v1/members", Token: staff.Token}},
		{"partner write", apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", APIKey: key.APIKey, Body: apitest.SignupBody("partner-outage@example.org")}},
		{"member read", apitest.Request{Path: "/v1/me", Token: member.Token}},
	}

	for _, mode := range []string{"immediate", "fast"} {
		t.Run("stopped "+mode, func(t *testing.T) {
			cluster.Stop(mode)
			unavailable := func(what string, r *apitest.Response) {
				t.Helper()
				if r.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("%s: %d %s, want 503", what, r.StatusCode, r.Body)
					return
				}
				if p := r.Problem(t); p.Code != "database-unavailable" {
					t.Errorf("%s: 503 %s, want database-unavailable", what, p.Code)
				}
				if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
					t.Errorf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
				}
			}
			for _, k := range kinds {
				unavailable(k.name, srv.Do(k.req))
			}
			unavailable("readiness", srv.Get("/readyz"))
			for _, p := range public {
				r := srv.Get(p)
				if r.StatusCode != http.StatusOK || r.Header.Get("ETag") != etags[p] {
					t.Errorf("cached GET %s while the database is away: %d %s", p, r.StatusCode, r.Header.Get("ETag"))
				}
			}
			// Every operation, whatever its input: a 503 with Retry-After
			// or an answer that needs no database, never a 500.
			for _, o := range ops {
				c := callers[o.op.OperationID]
				req := apitest.Request{Method: o.method, Path: pathParam.ReplaceAllString(o.path, "00000000-0000-0000-0000-000000000000"), Token: c.Token, APIKey: c.APIKey}
				if o.op.RequestBody != nil {
					req.Body = map[string]any{}
				}
				r := srv.Do(req)
				if r.StatusCode >= 500 && (r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "") {
					t.Errorf("%s as %s: %d %s", o.op.OperationID, c.Name, r.StatusCode, r.Body)
				}
			}

			cluster.Start()
			apitest.Eventually(t, 15*time.Second, "ready again", func() bool { return srv.Get("/readyz").StatusCode == http.StatusOK })
			apitest.Eventually(t, 15*time.Second, "change notifications again", srv.App.Listening)
			for _, k := range kinds {
				if r := srv.Do(k.req); r.StatusCode >= 300 {
					t.Errorf("%s after the outage: %d %s", k.name, r.StatusCode, r.Body)
				}
			}
		})
	}
}
