package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
)

type site struct {
	Name             string `json:"name"`
	ShortName        string `json:"short_name"`
	Tagline          string `json:"tagline"`
	MissionStatement string `json:"mission_statement"`
	Description      string `json:"description"`
	ContactEmail     string `json:"contact_email"`
}

func TestSiteServesTheSeededProfile(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_CONTACT_EMAIL": "hello@example.org"})
	r := srv.Get("/v1/site")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	var s site
	r.JSON(t, &s)
	if s.Name != "Harmed Patients Alliance" || s.ShortName != "HPA" || s.Tagline != "Restorative Healing after Healthcare Harm" {
		t.Errorf("identity = %+v", s)
	}
	if !strings.HasPrefix(s.MissionStatement, "To work collaboratively towards a future where harmed patients and families are respected") {
		t.Errorf("mission = %q", s.MissionStatement)
	}
	if s.ContactEmail != "hello@example.org" {
		t.Errorf("contact email = %q", s.ContactEmail)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Cache-Control = %q", cc)
	}
}

func TestSiteConditionalGet(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	first := srv.Get("/v1/site")
	etag := first.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag = %q, want a strong validator", etag)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		r := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"If-None-Match": {inm}}})
		if r.StatusCode != http.StatusNotModified || len(r.Body) != 0 {
			t.Errorf("If-None-Match %s: status %d, %d body bytes", inm, r.StatusCode, len(r.Body))
		}
		if r.Header.Get("ETag") != etag || r.Header.Values("Cache-Control")[0] != first.Header.Get("Cache-Control") || len(r.Header.Values("Cache-Control")) != 1 {
			t.Errorf("304 headers: ETag %q, Cache-Control %q", r.Header.Get("ETag"), r.Header.Values("Cache-Control"))
		}
	}
	stale := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"If-None-Match": {`"stale"`}}})
	if stale.StatusCode != http.StatusOK {
		t.Errorf("stale validator: status %d", stale.StatusCode)
	}
}

// Two API processes share a database: a change made anywhere reaches both
// within a second, because the trigger's NOTIFY drops their caches.
func TestSiteChangesReachEveryInstanceWithinASecond(t *testing.T) {
	// Not parallel: it holds propagation to a one-second deadline.
	a := apitest.Start(t, nil)
	b := apitest.StartOn(t, a.DBURL, nil)
	for _, srv := range []*apitest.Server{a, b} {
		srv.Get("/v1/site") // warm both caches
	}
	if _, err := a.Pool.Exec(context.Background(), `UPDATE site_profile SET tagline = 'Changed by hand in psql', updated_at = now()`); err != nil {
		t.Fatal(err)
	}
	for name, srv := range map[string]*apitest.Server{"a": a, "b": b} {
		apitest.Eventually(t, time.Second, "instance "+name+" serves the new tagline", func() bool {
			var s site
			srv.Get("/v1/site").JSON(t, &s)
			return s.Tagline == "Changed by hand in psql"
		})
	}
}
