package api_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// A shared link reads the saved funnels an admin listed for it, with the
// figures staff see, and no other: not another link's funnel, not an
// unknown ID, not a funnel once deleted or the link once revoked; a link
// with a password needs its session for funnels too.
func TestSharedLinksReadTheirSavedFunnelsOnly(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	donateVisits(t, srv)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	save := func(name string, steps ...map[string]any) string {
		t.Helper()
		var f savedFunnelDoc
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/funnels", Token: analyst, Body: map[string]any{"name": name, "steps": steps}})
		r.JSON(t, &f)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("save %s: %d %s", name, r.StatusCode, r.Body)
		}
		return f.ID
	}
	donate := save("Donate journey", map[string]any{"page": "/donate"}, map[string]any{"event_name": "donate-clicked"}, map[string]any{"page": "/donate/*"})
	join := save("Join journey", map[string]any{"page": "/join"}, map[string]any{"page": "/join/thanks"})
	share, read, refused := shareHelpers(t, srv, admin)

	trustees := share(map[string]any{"name": "Trustees", "reports": []string{"summary"}, "funnels": []string{donate}})
	partner := share(map[string]any{"name": "Partner", "funnels": []string{join}})
	plain := share(map[string]any{"name": "Plain"})

	var shared, staff funnelFigures
	r := read("/v1/shared-stats/funnels/"+donate+"?period=day", trustees.Token, "")
	r.JSON(t, &shared)
	srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + donate + "/report?period=day", Token: analyst}).JSON(t, &staff)
	if r.StatusCode != 200 || !reflect.DeepEqual(shared, staff) || len(shared.Steps) != 3 || shared.Steps[0].Visitors != 4 {
		t.Errorf("shared funnel %d %s, staff's %+v", r.StatusCode, r.Body, staff)
	}
	var info struct {
		Reports []string
		Funnels []savedFunnelDoc
	}
	read("/v1/shared-stats", trustees.Token, "").JSON(t, &info)
	if len(info.Reports) != 1 || len(info.Funnels) != 1 || info.Funnels[0].ID != donate || info.Funnels[0].Name != "Donate journey" || len(info.Funnels[0].Steps) != 3 {
		t.Errorf("link info: %+v", info)
	}
	// Another link's funnel, no funnel, or not an ID: refused alike.
	refused(read("/v1/shared-stats/funnels/"+join+"?period=day", trustees.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/funnels/"+donate+"?period=day", partner.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/funnels/"+donate+"?period=day", plain.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/funnels/"+uuid.NewString(), trustees.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/funnels/not-an-id", trustees.Token, ""), 403, "insufficient-permissions")
	refused(read("/v1/shared-stats/funnels/"+donate, "hpa_share_not-a-link", ""), 404, "not-found")
	// A link's token reads no staff funnel operation.
	for _, path := range []string{"/v1/stats/funnels", "/v1/stats/funnels/" + donate, "/v1/stats/funnels/" + donate + "/report"} {
		refused(read(path, trustees.Token, ""), 401, "credentials-required")
	}

	// A link with a password: its funnels need the session.
	locked := share(map[string]any{"name": "Locked", "password": "correct horse battery", "funnels": []string{donate, join}})
	refused(read("/v1/shared-stats/funnels/"+donate+"?period=day", locked.Token, ""), 401, "credentials-required")
	var session struct{ Session string }
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/shared-stats/session", Header: http.Header{"X-Share-Token": {locked.Token}},
		Body: map[string]any{"password": "correct horse battery"}}).JSON(t, &session)
	if r := read("/v1/shared-stats/funnels/"+join+"?period=day", locked.Token, session.Session); r.StatusCode != 200 {
		t.Errorf("unlocked funnel: %d %s", r.StatusCode, r.Body)
	}

	// Deleting the funnel takes it out of every link; revoking a link stops it.
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/funnels/" + join, Token: analyst}); r.StatusCode != 204 {
		t.Fatalf("delete funnel: %d", r.StatusCode)
	}
	refused(read("/v1/shared-stats/funnels/"+join+"?period=day", partner.Token, ""), 403, "insufficient-permissions")
	var list struct {
		Items []struct {
			ID      string
			Funnels []savedFunnelDoc
		}
	}
	srv.Do(apitest.Request{Path: "/v1/stats/shares", Token: admin}).JSON(t, &list)
	for _, sh := range list.Items {
		if want := map[string]int{trustees.Share.ID: 1, partner.Share.ID: 0, plain.Share.ID: 0, locked.Share.ID: 1}[sh.ID]; len(sh.Funnels) != want {
			t.Errorf("share %s lists %d funnels, want %d", sh.ID, len(sh.Funnels), want)
		}
	}
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/shares/" + trustees.Share.ID, Token: admin}); r.StatusCode != 204 {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	refused(read("/v1/shared-stats/funnels/"+donate+"?period=day", trustees.Token, ""), 403, "forbidden")

	for name, funnels := range map[string][]string{
		"unknown funnel": {uuid.NewString()},
		"not an ID":      {"donate"},
		"NUL":            {"donate\x00"},
		"listed twice":   {donate, donate},
		"deleted funnel": {join},
	} {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/shares", Token: admin, Body: map[string]any{"name": name, "funnels": funnels}})
		if p := r.Problem(t); r.StatusCode != 422 || p.Code != "validation-failed" && p.Code != "invalid-text" {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/shares", Token: analyst, Body: map[string]any{"name": "Analyst", "funnels": []string{donate}}}); r.StatusCode != 403 {
		t.Errorf("an analyst shared a funnel: %d", r.StatusCode)
	}
}
