package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// revalidate checks that path answers 200 with a strong ETag and a public
// Cache-Control, then 304 (no body, same validators) when the ETag comes
// back in If-None-Match, and 200 for another ETag. It returns the ETag.
func revalidate(t *testing.T, srv *apitest.Server, path, wantCacheControl string) string {
	t.Helper()
	first := srv.Get(path)
	if first.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, first.StatusCode, first.Body)
	}
	etag, cc := first.Header.Get("ETag"), first.Header.Get("Cache-Control")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 4 {
		t.Errorf("GET %s: ETag %q, want a strong validator", path, etag)
	}
	if cc != wantCacheControl {
		t.Errorf("GET %s: Cache-Control %q, want %q", path, cc, wantCacheControl)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
		r := srv.Do(apitest.Request{Path: path, Header: http.Header{"If-None-Match": {inm}}})
		if r.StatusCode != http.StatusNotModified || len(r.Body) != 0 {
			t.Errorf("GET %s If-None-Match %s: %d with %d body bytes, want 304 and none", path, inm, r.StatusCode, len(r.Body))
		}
		if r.Header.Get("ETag") != etag || r.Header.Get("Cache-Control") != cc {
			t.Errorf("GET %s 304: ETag %q Cache-Control %q, want %q %q", path, r.Header.Get("ETag"), r.Header.Get("Cache-Control"), etag, cc)
		}
	}
	if r := srv.Do(apitest.Request{Path: path, Header: http.Header{"If-None-Match": {`"stale"`}}}); r.StatusCode != http.StatusOK || r.Header.Get("ETag") != etag {
		t.Errorf("GET %s with another ETag: %d, ETag %q", path, r.StatusCode, r.Header.Get("ETag"))
	}
	return etag
}

// changed checks that an If-None-Match naming the old ETag now gets the new
// representation (200, another ETag), and returns the new ETag.
func changed(t *testing.T, srv *apitest.Server, path, old, after string) string {
	t.Helper()
	r := srv.Do(apitest.Request{Path: path, Header: http.Header{"If-None-Match": {old}}})
	if r.StatusCode != http.StatusOK || r.Header.Get("ETag") == old || r.Header.Get("ETag") == "" {
		t.Errorf("GET %s after %s with the old ETag: %d, ETag %q (was %q)", path, after, r.StatusCode, r.Header.Get("ETag"), old)
	}
	return r.Header.Get("ETag")
}

func TestRarelyChangingPublicDataRevalidates(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	const static, live = "public, max-age=60, stale-while-revalidate=300", "public, max-age=30"
	for _, path := range []string{"/v1/donations/options", "/v1/consent-texts", "/v1/gift-aid/wording"} {
		revalidate(t, srv, path, static)
	}
	list := revalidate(t, srv, "/v1/campaigns", live)
	one := revalidate(t, srv, "/v1/campaigns/general", live)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	if r := srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/campaigns/general", Token: treasurer,
		Body: map[string]any{"description": "Where HPA needs it most: support for harmed patients and families."}}); r.StatusCode != http.StatusOK {
		t.Fatalf("update campaign: %d %s", r.StatusCode, r.Body)
	}
	changed(t, srv, "/v1/campaigns", list, "a campaign edit")
	changed(t, srv, "/v1/campaigns/general", one, "a campaign edit")

	opportunities := revalidate(t, srv, "/v1/opportunities", live)
	editor := srv.StaffToken(t, identity.RoleEditor)
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities", Token: editor, Body: map[string]any{
		"kind": "listening-event", "title": "Listening event: learning from harm", "summary": "An online listening event.",
		"organiser_name": "Harmed Patients Alliance", "online": true, "capacity": 5,
		"starts_at": time.Now().Add(14 * 24 * time.Hour).UTC().Format(time.RFC3339)}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create opportunity: %d %s", r.StatusCode, r.Body)
	}
	var created struct {
		ID string `json:"id"`
	}
	r.JSON(t, &created)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + created.ID + "/review", Token: editor,
		Body: map[string]any{"action": "publish"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
	}
	opportunities = changed(t, srv, "/v1/opportunities", opportunities, "publishing")
	path := "/v1/opportunities/" + created.ID
	before := revalidate(t, srv, path, live)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: path + "/registrations",
		Body: map[string]any{"name": "Jo Bloggs", "email": "jo@example.org"}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	changed(t, srv, path, before, "a registration (places left)")
	changed(t, srv, "/v1/opportunities", opportunities, "a registration (places left)")

	// What an editor sees may be more than the public does: never shared.
	staff := srv.Do(apitest.Request{Path: path, Token: editor})
	if cc := staff.Header.Get("Cache-Control"); staff.StatusCode != http.StatusOK || cc != "private, no-cache" {
		t.Errorf("GET %s as an editor: %d, Cache-Control %q, want private, no-cache", path, staff.StatusCode, cc)
	}
}
