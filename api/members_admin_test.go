package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/members"
)

func TestSpecialCategoryDataIsSealedAndGuarded(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	body := apitest.SignupBody("harmed@example.org")
	body["name"] = "Pat"
	body["special_category_consent"] = true
	body["special_category"] = map[string]string{"harmed": "yes", "experience": "An unmistakable account of harm", "accessibility_needs": "Step-free access"}
	post(srv, "/v1/members", body, "")
	msg := srv.Mail.WaitFor(t, "harmed@example.org", 10*time.Second, nil)
	var confirmed struct {
		MemberToken string `json:"member_token"`
	}
	post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, msg)}, "").JSON(t, &confirmed)

	// On disk: sealed, in its own table; the email too.
	for _, needle := range []string{"unmistakable account", "Step-free", "harmed@example.org"} {
		if tables := tablesContaining(t, srv, needle); len(tables) > 0 {
			t.Errorf("%q readable in %v", needle, tables)
		}
	}
	var id string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT id::text FROM members`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var rec memberRecord
	r := srv.Do(apitest.Request{Path: "/v1/members/" + id, Token: srv.StaffToken(t, identity.RoleMembership)})
	r.JSON(t, &rec)
	if r.StatusCode != 200 || rec.SpecialCategory == nil || rec.SpecialCategory.Experience != "An unmistakable account of harm" {
		t.Errorf("membership role reading: %d %s", r.StatusCode, r.Body)
	}
	for _, role := range []identity.Role{identity.RoleEditor, identity.RoleAnalyst, identity.RoleTreasurer} {
		if r := srv.Do(apitest.Request{Path: "/v1/members/" + id, Token: srv.StaffToken(t, role)}); r.StatusCode != 403 {
			t.Errorf("%s reading a member: %d", role, r.StatusCode)
		}
	}
	var audited int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'member.read_special_category' AND target_id = $1`, id).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("special-category reads audited: %d", audited)
	}
	// Withdrawing the consent deletes the data but keeps the membership.
	r = srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: confirmed.MemberToken, Body: map[string]any{"special_category_consent": false}})
	if r.StatusCode != 200 {
		t.Fatalf("withdraw: %d %s", r.StatusCode, r.Body)
	}
	var rows int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM member_sensitive`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("special-category rows after withdrawal: %d", rows)
	}
	var me struct {
		Profile struct{ Status string } `json:"profile"`
	}
	srv.Do(apitest.Request{Path: "/v1/me", Token: confirmed.MemberToken}).JSON(t, &me)
	if me.Profile.Status != "active" {
		t.Errorf("status after withdrawal: %s", me.Profile.Status)
	}
}

func TestStaffListExportAndImport(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	staff := srv.StaffToken(t, identity.RoleMembership)
	srv.MemberToken(t, "alpha@example.org") // interests: surveys, webinars
	token := srv.MemberToken(t, "beta@example.org")
	srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: token, Body: map[string]any{"interests": []string{"webinars"}, "name": "=HYPERLINK(\"x\")"}})

	var page struct {
		Items      []struct{ Email string } `json:"items"`
		NextCursor string                   `json:"next_cursor"`
	}
	srv.Do(apitest.Request{Path: "/v1/members?interest=surveys", Token: staff}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Email != "alpha@example.org" {
		t.Errorf("filter by interest: %+v", page.Items)
	}
	srv.Do(apitest.Request{Path: "/v1/members?q=BETA@example.org", Token: staff}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Email != "beta@example.org" {
		t.Errorf("search by email: %+v", page.Items)
	}
	srv.Do(apitest.Request{Path: "/v1/members?limit=1", Token: staff}).JSON(t, &page)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("first page: %+v", page)
	}
	first := page.Items[0].Email
	srv.Do(apitest.Request{Path: "/v1/members?limit=1&cursor=" + page.NextCursor, Token: staff}).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Email == first {
		t.Errorf("second page: %+v", page)
	}

	// Export: only those whose consent covers the purpose; formulas defused.
	r := srv.Do(apitest.Request{Path: "/v1/members/export?purpose=interest:webinars", Token: staff})
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || r.StatusCode != 200 || len(recs) != 3 || r.Header.Get("X-Row-Count") != "2" {
		t.Fatalf("export: %d %v %q", r.StatusCode, err, r.Body)
	}
	if !strings.Contains(string(r.Body), "'=HYPERLINK") {
		t.Errorf("formula not defused:\n%s", r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/members/export?purpose=interest:surveys", Token: staff})
	if !strings.Contains(string(r.Body), "alpha@example.org") || strings.Contains(string(r.Body), "beta@example.org") {
		t.Errorf("surveys export:\n%s", r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/members/export?purpose=everything", Token: staff}); r.StatusCode != 422 {
		t.Errorf("bad purpose: %d", r.StatusCode)
	}

	// Import: a dry run reports row errors and duplicates; with an error
	// nothing is applied; fixed, it imports the new rows only.
	v := members.MembershipConsent.Version
	bad := "email,name,interests,consent_version\n" +
		"gamma@example.org,Gamma,surveys," + v + "\n" +
		"ALPHA@example.org,Alpha again,,," + "\n" +
		"not-an-email,Nobody,," + v + "\n" +
		"gamma+dup@example.org,Gamma twice,," + v + "\n"
	var report struct {
		Imported   int `json:"imported"`
		Duplicates []struct {
			Row int `json:"row"`
		} `json:"duplicates"`
		Errors []struct {
			Row   int    `json:"row"`
			Field string `json:"field"`
		} `json:"errors"`
	}
	importCSV := func(body string, dry bool) *apitest.Response {
		path := "/v1/members/import"
		if dry {
			path += "?dry_run=true"
		}
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: body, Token: staff, Header: http.Header{"Content-Type": {"text/csv"}}})
	}
	importCSV(bad, false).JSON(t, &report)
	if report.Imported != 0 || len(report.Errors) != 2 || len(report.Duplicates) != 1 {
		t.Errorf("import with errors: %+v", report)
	}
	good := "email,name,interests,consent_version\ngamma@example.org,Gamma,surveys;webinars," + v + "\nalpha@example.org,Alpha,," + v + "\n"
	importCSV(good, true).JSON(t, &report)
	if report.Imported != 0 || len(report.Duplicates) != 1 {
		t.Errorf("dry run: %+v", report)
	}
	importCSV(good, false).JSON(t, &report)
	if report.Imported != 1 {
		t.Errorf("import: %+v", report)
	}
	var status string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT status FROM members WHERE source = 'import'`).Scan(&status); err != nil || status != "active" {
		t.Errorf("imported member: %q %v", status, err)
	}

	// Aggregate figures for analysts, with no personal data.
	var stats struct {
		ByStatus []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		} `json:"by_status"`
	}
	r = srv.Do(apitest.Request{Path: "/v1/members/stats", Token: srv.StaffToken(t, identity.RoleAnalyst)})
	r.JSON(t, &stats)
	if strings.Contains(string(r.Body), "@") || len(stats.ByStatus) == 0 || stats.ByStatus[0].Key != "active" || stats.ByStatus[0].Count != 3 {
		t.Errorf("stats: %s", r.Body)
	}
	var exports int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'member.export'`).Scan(&exports); err != nil || exports != 2 {
		t.Errorf("exports audited: %d", exports)
	}
}

func TestUnconfirmedSignupsArePurged(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_PENDING_MEMBER_TTL": "1h"})
	post(srv, "/v1/members", apitest.SignupBody("never-confirmed@example.org"), "")
	srv.MemberToken(t, "confirmed@example.org")
	waitForMemberWork(t, srv)
	ctx := context.Background()
	if _, err := srv.Pool.Exec(ctx, `UPDATE members SET created_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Jobs().Insert(ctx, retentionArgs(), nil); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "the unconfirmed signup is purged", func() bool {
		var n int
		_ = srv.Pool.QueryRow(ctx, `SELECT count(*) FROM members`).Scan(&n)
		return n == 1
	})
	var status string
	if err := srv.Pool.QueryRow(ctx, `SELECT status FROM members`).Scan(&status); err != nil || status != "active" {
		t.Errorf("remaining member: %q %v", status, err)
	}
	// Consent history stays append-only for everyone else.
	if _, err := srv.Pool.Exec(ctx, `DELETE FROM consent_events`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("deleting consent history: %v", err)
	}
}

func retentionArgs() jobs.RetentionArgs { return jobs.RetentionArgs{} }

// An import's header names only the columns an import reads: a column
// it does not know (a typo, the export's role for role_title) or one
// named twice is refused, rather than imported as if it were absent.
func TestMemberImportRefusesUnknownColumns(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	staff := srv.StaffToken(t, identity.RoleMembership)
	v := members.MembershipConsent.Version
	for header, want := range map[string]string{
		"email,full name,consent_version": `"full name"`,
		"email,name,role,consent_version": `"role"`,
		"email,name,name,consent_version": `"name" twice`,
	} {
		body := header + "\nnew-member@example.org,Ada,Lovelace," + v + "\n"
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/import?dry_run=true", Body: body, Token: staff,
			Header: http.Header{"Content-Type": {"text/csv"}}})
		if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "body" ||
			!strings.Contains(p.Errors[0].Message, want) || !strings.Contains(p.Errors[0].Message, "role_title") {
			t.Errorf("header %q: %d %s, want 422 at body naming %s and the columns", header, r.StatusCode, r.Body, want)
		}
	}
	// Column names ignore case, spaces around them and a spreadsheet's
	// byte-order mark, as before; an unnamed empty column is no column.
	body := "\ufeffEmail, Name ,consent_version,\nnew-member@example.org,Ada," + v + ",\n"
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/import?dry_run=true", Body: body, Token: staff,
		Header: http.Header{"Content-Type": {"text/csv"}}})
	if r.StatusCode != 200 {
		t.Errorf("a well-formed header: %d %s", r.StatusCode, r.Body)
	}
}
