package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
)

// Contract 1.2.0 speaks one vocabulary without breaking 1.x: statistics
// lists say items (and next_cursor where paged) beside the deprecated
// results, which stays the same list.
func TestStatsListsSayItemsBesideResults(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	twoVisitors(t, srv)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	// Reports show accepted events within freshnessBound, not at once.
	apitest.Eventually(t, freshnessBound, "the three pages in the reports", func() bool {
		var pages struct {
			TotalRows int `json:"total_rows"`
		}
		srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=7d", APIKey: key}).JSON(t, &pages)
		return pages.TotalRows == 3
	})

	type list struct {
		Items      []map[string]any `json:"items"`
		Results    []map[string]any `json:"results"`
		NextCursor string           `json:"next_cursor"`
	}
	same := func(what string, r *apitest.Response) list {
		t.Helper()
		var l list
		r.JSON(t, &l)
		if r.StatusCode != 200 || len(l.Items) == 0 || !reflect.DeepEqual(l.Items, l.Results) {
			t.Errorf("%s: %d, items and results differ or are empty: %s", what, r.StatusCode, r.Body)
		}
		return l
	}
	same("timeseries", srv.Do(apitest.Request{Path: "/v1/stats/timeseries?period=7d", APIKey: key}))
	page := same("breakdown", srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=7d&limit=2", APIKey: key}))
	if len(page.Items) != 2 || page.NextCursor == "" {
		t.Errorf("breakdown first page: %+v", page)
	}

	// POST /v1/stats/query pages with next_cursor, sent back as
	// pagination.cursor, as well as with offset.
	query := func(pagination map[string]any) *apitest.Response {
		return srv.Do(apitest.Request{Method: "POST", Path: "/v1/stats/query", APIKey: key, Body: map[string]any{
			"metrics": []string{"pageviews"}, "date_range": "7d", "dimensions": []string{"page"},
			"order_by": []map[string]string{{"field": "page", "direction": "asc"}}, "pagination": pagination}})
	}
	first := same("query, first page", query(map[string]any{"limit": 2}))
	if len(first.Items) != 2 || first.NextCursor == "" {
		t.Fatalf("query first page: %+v", first)
	}
	second := same("query, by cursor", query(map[string]any{"limit": 2, "cursor": first.NextCursor}))
	byOffset := same("query, by offset", query(map[string]any{"limit": 2, "offset": 2}))
	if len(second.Items) != 1 || second.NextCursor != "" || !reflect.DeepEqual(second.Items, byOffset.Items) {
		t.Errorf("query second page by cursor %+v, by offset %+v", second, byOffset)
	}
	if r := query(map[string]any{"cursor": "not-a-cursor"}); r.StatusCode != 422 || r.Problem(t).Code != "validation-failed" {
		t.Errorf("a cursor the API never gave: %d %s", r.StatusCode, r.Body)
	}

	// Goals, imports and shared links: items beside goals, imports, shares.
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	for _, made := range []apitest.Request{
		{Method: "POST", Path: "/v1/stats/goals", Token: analyst, Body: map[string]string{"name": "Donated", "page_path": "/donate/thanks"}},
		{Method: "POST", Path: "/v1/stats/shares", Token: admin, Body: map[string]string{"name": "Trustees"}},
		{Method: "POST", Path: "/v1/stats/imports?format=csv", Token: analyst, Header: http.Header{"Content-Type": {"text/csv"}},
			Body: "date,page,source,visitors,visits,pageviews\n2024-05-01,/,,10,12,30\n"},
	} {
		if r := srv.Do(made); r.StatusCode != 200 && r.StatusCode != 201 {
			t.Fatalf("%s %s: %d %s", made.Method, made.Path, r.StatusCode, r.Body)
		}
	}
	for path, old := range map[string]string{"/v1/stats/goals": "goals", "/v1/stats/imports": "imports", "/v1/stats/shares": "shares"} {
		token := analyst
		if old == "shares" {
			token = admin
		}
		var l map[string][]map[string]any
		r := srv.Do(apitest.Request{Path: path, Token: token})
		r.JSON(t, &l)
		if r.StatusCode != 200 || len(l["items"]) != 1 || !reflect.DeepEqual(l["items"], l[old]) {
			t.Errorf("%s: %d, items and %s differ or do not hold the one made: %s", path, r.StatusCode, old, r.Body)
		}
	}
}

// GET /v1/site names its menus as GET /v1/navigation does, beside the
// deprecated map.
func TestSiteMenusAreNamedFields(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	var site struct {
		Menus      map[string]json.RawMessage `json:"menus"`
		Navigation map[string]json.RawMessage `json:"navigation"`
	}
	srv.Get("/v1/site").JSON(t, &site)
	var nav map[string]json.RawMessage
	srv.Get("/v1/navigation").JSON(t, &nav)
	if len(site.Menus["header"]) < 10 || !reflect.DeepEqual(site.Menus, nav) || !reflect.DeepEqual(site.Menus, site.Navigation) {
		t.Errorf("site menus %s, navigation map %s, GET /v1/navigation %s", site.Menus, site.Navigation, nav)
	}
}

// PATCH /v1/me answers what GET /v1/me answers, and still the profile's
// fields at the top level for 1.0 clients.
func TestUpdatingMyMembershipAnswersAsReadingIt(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	token := srv.MemberToken(t, "vocab-member@example.org")
	r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/me", Token: token, Body: map[string]any{
		"region": "wales", "special_category_consent": true, "special_category": map[string]any{"harmed": "family", "accessibility_needs": "Large print, please"}}})
	var patched map[string]json.RawMessage
	r.JSON(t, &patched)
	var got map[string]json.RawMessage
	srv.Do(apitest.Request{Path: "/v1/me", Token: token}).JSON(t, &got)
	if r.StatusCode != 200 || len(got) != 2 || string(patched["profile"]) != string(got["profile"]) ||
		string(patched["special_category"]) != string(got["special_category"]) || len(got["special_category"]) < 5 {
		t.Errorf("PATCH answered %d %s; GET answers %s", r.StatusCode, r.Body, got)
	}
	var profile map[string]json.RawMessage
	if err := json.Unmarshal(got["profile"], &profile); err != nil {
		t.Fatal(err)
	}
	for field, v := range profile {
		if string(patched[field]) != string(v) {
			t.Errorf("top-level %s is %s, profile.%s %s", field, patched[field], field, v)
		}
	}
}

// Every operation taking a date range takes from and to, UK dates, both
// inclusive; the older names still work.
func TestDateRangesAreFromAndTo(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	email, password := srv.NewStaff(t, identity.RoleAdmin)
	admin := srv.Login(t, email, password).AccessToken // audited: auth.login
	membership := srv.StaffToken(t, identity.RoleMembership)
	srv.MemberToken(t, "joined-today@example.org")
	today := time.Now().In(hpa.London)
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	count := func(path, token string) int {
		t.Helper()
		r := srv.Do(apitest.Request{Path: path, Token: token})
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		r.JSON(t, &page)
		if r.StatusCode != 200 {
			t.Errorf("%s: %d %s", path, r.StatusCode, r.Body)
		}
		return len(page.Items)
	}
	for _, tc := range []struct{ path, token string }{{"/v1/audit-events", admin}, {"/v1/members", membership}} {
		if n := count(tc.path+"?from="+day(0)+"&to="+day(0), tc.token); n == 0 {
			t.Errorf("%s from and to today: nothing", tc.path)
		}
		if n := count(tc.path+"?from="+day(1), tc.token); n != 0 {
			t.Errorf("%s from tomorrow: %d items", tc.path, n)
		}
		if n := count(tc.path+"?to="+day(-1), tc.token); n != 0 {
			t.Errorf("%s to yesterday: %d items", tc.path, n)
		}
		r := srv.Do(apitest.Request{Path: tc.path + "?from=" + day(0) + "&to=" + day(-1), Token: tc.token})
		if r.StatusCode != 422 || r.Problem(t).Code != "validation-failed" {
			t.Errorf("%s to before from: %d %s", tc.path, r.StatusCode, r.Body)
		}
	}
	later := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if n := count("/v1/audit-events?since="+later, admin); n != 0 {
		t.Errorf("deprecated since an hour ahead: %d items", n)
	}
	if n := count("/v1/members?joined_from="+later, membership); n != 0 {
		t.Errorf("deprecated joined_from an hour ahead: %d items", n)
	}
}

// Partner opportunities take the cursor they give out, as every list does.
func TestPartnerOpportunitiesTakeACursor(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeOpportunitiesWrite)
	for range 3 {
		if r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/partner/opportunities", APIKey: key, Body: study(10)}); r.StatusCode != 201 {
			t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
		}
	}
	type page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var all, first, rest page
	srv.Do(apitest.Request{Path: "/v1/partner/opportunities", APIKey: key}).JSON(t, &all)
	srv.Do(apitest.Request{Path: "/v1/partner/opportunities?limit=2", APIKey: key}).JSON(t, &first)
	srv.Do(apitest.Request{Path: "/v1/partner/opportunities?limit=2&cursor=" + first.NextCursor, APIKey: key}).JSON(t, &rest)
	if len(all.Items) != 3 || all.NextCursor != "" || len(first.Items) != 2 || first.NextCursor == "" || len(rest.Items) != 1 ||
		!reflect.DeepEqual(append(first.Items, rest.Items...), all.Items) {
		t.Errorf("all %+v; first page %+v; rest %+v", all, first, rest)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/partner/opportunities?cursor=bogus", APIKey: key}); r.StatusCode != 422 {
		t.Errorf("a cursor the API never gave: %d %s", r.StatusCode, r.Body)
	}
}

// Interests, regions and frequencies are named schemas that requests and
// responses share, and the server still refuses a value outside them.
func TestSharedEnumsAreNamedAndEnforced(t *testing.T) {
	t.Parallel()
	spec, err := api.New(api.Options{}, api.Services{}).OpenAPI().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Interest", "Region", "EmailFrequency", "GiftFrequency"} {
		if n := strings.Count(string(spec), `$ref: "#/components/schemas/`+name+`"`); n < 3 {
			t.Errorf("%s is referred to %d times, want it in inputs and outputs", name, n)
		}
	}
	srv := apitest.Start(t, nil)
	token := srv.MemberToken(t, "enum-member@example.org")
	for _, body := range []map[string]any{{"interests": []string{"gossip"}}, {"email_frequency": "hourly"}} {
		r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/me", Token: token, Body: body})
		if r.StatusCode != 422 || r.Problem(t).Code != "validation-failed" {
			t.Errorf("PATCH /v1/me %v: %d %s", body, r.StatusCode, r.Body)
		}
	}
	r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/me", Token: token, Body: map[string]any{"interests": []string{"webinars", "surveys"}, "email_frequency": "monthly-digest"}})
	var me struct {
		Profile struct {
			Interests      []string `json:"interests"`
			EmailFrequency string   `json:"email_frequency"`
		} `json:"profile"`
	}
	r.JSON(t, &me)
	if r.StatusCode != 200 || len(me.Profile.Interests) != 2 || me.Profile.EmailFrequency != "monthly-digest" {
		t.Errorf("PATCH /v1/me with known values: %d %s", r.StatusCode, r.Body)
	}
}
