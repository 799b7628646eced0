package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
)

// Searching members by name matches q literally: % and _ are characters
// to find, not wildcards (q=% once listed everyone), and so is \.
func TestMemberSearchMatchesLiterally(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	staff := srv.StaffToken(t, identity.RoleMembership)
	v := members.MembershipConsent.Version
	csv := "email,name,consent_version\n" +
		"percent@example.org,Fully 100% Sure," + v + "\n" +
		"underscore@example.org,Under_Score," + v + "\n" +
		"backslash@example.org,Back\\Slash," + v + "\n" +
		"plain@example.org,Plain Person," + v + "\n"
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/import", Body: csv, Token: staff,
		Header: http.Header{"Content-Type": {"text/csv"}}}); r.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", r.StatusCode, r.Body)
	}
	for _, c := range []struct{ q, want string }{
		{"%", "Fully 100% Sure"},
		{"_", "Under_Score"},
		{`\`, `Back\Slash`},
		{"100%", "Fully 100% Sure"},
		{"n_e", ""},
		{"plain", "Plain Person"},
	} {
		var page struct {
			Items []struct{ Name string } `json:"items"`
		}
		srv.Do(apitest.Request{Path: "/v1/members?q=" + url.QueryEscape(c.q), Token: staff}).JSON(t, &page)
		var names []string
		for _, m := range page.Items {
			names = append(names, m.Name)
		}
		if (c.want == "" && len(names) != 0) || (c.want != "" && (len(names) != 1 || names[0] != c.want)) {
			t.Errorf("q=%s found %q, want %q", c.q, names, c.want)
		}
	}
}

// The audit log's action filter takes an action or a prefix, literally:
// _ is not a wildcard (action=____ once listed every auth.* event).
func TestAuditActionFilterIsLiteral(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin) // logs in: an auth.login event
	var page auditPage
	srv.Do(apitest.Request{Path: "/v1/audit-events?action=auth", Token: admin}).JSON(t, &page)
	if len(page.Items) == 0 {
		t.Fatal("no auth events to filter")
	}
	for _, action := range []string{"____", "auth_login", "a__h"} {
		srv.Do(apitest.Request{Path: "/v1/audit-events?action=" + action, Token: admin}).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Errorf("action=%s matched %d events, e.g. %s", action, len(page.Items), page.Items[0].Action)
		}
	}
}
