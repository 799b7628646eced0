package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

type memberRecord struct {
	Profile struct {
		ID        string   `json:"id"`
		Email     string   `json:"email"`
		Name      string   `json:"name"`
		Status    string   `json:"status"`
		Interests []string `json:"interests"`
		Source    string   `json:"source"`
	} `json:"profile"`
	SpecialCategory *struct {
		Harmed     string `json:"harmed"`
		Experience string `json:"experience"`
	} `json:"special_category"`
	Consents []struct {
		Purpose string `json:"purpose"`
		Granted bool   `json:"granted"`
		Source  string `json:"source"`
	} `json:"consents"`
	Notes []struct {
		Body string `json:"body"`
	} `json:"notes"`
}

// The whole journey through the API: sign up, confirm from the email, sign
// in with a magic link, change interests, export, unsubscribe, erase; the
// consent history records each step and erasure leaves no trace.
func TestMembershipJourney(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	const email = "Jo.Bloggs+hpa@Example.org"
	body := apitest.SignupBody(email)
	body["name"] = "Jo Bloggs Distinctive"
	body["special_category_consent"] = true
	body["special_category"] = map[string]string{"harmed": "family", "experience": "My mother was harmed after a routine operation."}
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != 202 {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	confirm := srv.Mail.WaitFor(t, email, 10*time.Second, nil)
	if !strings.Contains(confirm.Subject, "confirm") || confirm.HTML == "" || confirm.Header.Get("List-Unsubscribe") == "" ||
		confirm.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("confirmation email: %q, headers %v", confirm.Subject, confirm.Header)
	}
	var session struct {
		MemberToken string `json:"member_token"`
	}
	r := post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, confirm)}, "")
	r.JSON(t, &session)
	if r.StatusCode != 200 || session.MemberToken == "" {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, confirm)}, ""); r.StatusCode != 422 || r.Problem(t).Code != "invalid-link" {
		t.Errorf("reused confirmation: %d", r.StatusCode)
	}

	// Sign in again later with a magic link.
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": "jo.bloggs@example.org"}, ""); r.StatusCode != 202 {
		t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
	}
	link := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "sign-in") })
	r = post(srv, "/v1/members/sign-in", map[string]string{"token": apitest.TokenFrom(t, link)}, "")
	r.JSON(t, &session)
	if r.StatusCode != 200 {
		t.Fatalf("sign in: %d %s", r.StatusCode, r.Body)
	}
	token := session.MemberToken

	var me struct {
		Profile struct {
			Email     string   `json:"email"`
			Status    string   `json:"status"`
			Interests []string `json:"interests"`
		} `json:"profile"`
	}
	srv.Do(apitest.Request{Path: "/v1/me", Token: token}).JSON(t, &me)
	if me.Profile.Email != "Jo.Bloggs+hpa@example.org" || me.Profile.Status != "active" {
		t.Errorf("me: %+v", me)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: token, Body: map[string]any{"interests": []string{"webinars", "research-opportunities"}}}); r.StatusCode != 200 {
		t.Fatalf("change interests: %d %s", r.StatusCode, r.Body)
	}
	var export memberRecord
	srv.Do(apitest.Request{Path: "/v1/me/export", Token: token}).JSON(t, &export)
	if export.SpecialCategory == nil || export.SpecialCategory.Harmed != "family" || len(export.Consents) < 5 {
		t.Errorf("export: %+v", export)
	}

	// One-click unsubscribe, as a mail client does it (RFC 8058).
	unsub, err := url.Parse(strings.Trim(confirm.Header.Get("List-Unsubscribe"), "<>"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // replaying the link is harmless
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: unsub.RequestURI(), Body: "List-Unsubscribe=One-Click",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
		if r.StatusCode != 200 {
			t.Fatalf("unsubscribe %d: %d %s", i, r.StatusCode, r.Body)
		}
	}

	// Staff see the consent history, step by step.
	staff := srv.StaffToken(t, identity.RoleMembership)
	var rec memberRecord
	srv.Do(apitest.Request{Path: "/v1/members/" + export.Profile.ID, Token: staff}).JSON(t, &rec)
	steps := []string{}
	for _, c := range rec.Consents {
		steps = append(steps, c.Source+":"+c.Purpose+":"+map[bool]string{true: "granted", false: "withdrawn"}[c.Granted])
	}
	want := []string{"site:membership:granted", "site:interest:surveys:granted", "site:interest:webinars:granted", "site:special-category:granted",
		"self-service:interest:surveys:withdrawn", "self-service:interest:research-opportunities:granted",
		"unsubscribe-link:interest:webinars:withdrawn", "unsubscribe-link:interest:research-opportunities:withdrawn"}
	if strings.Join(steps, "\n") != strings.Join(want, "\n") {
		t.Errorf("consent history:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if rec.Profile.Status != "unsubscribed" {
		t.Errorf("status after unsubscribe: %s", rec.Profile.Status)
	}

	// Erasure: the token stops working and the person is gone from every table.
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: token}); r.StatusCode != 204 {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/me", Token: token}); r.StatusCode != 401 {
		t.Errorf("token after erasure: %d", r.StatusCode)
	}
	for _, needle := range []string{"jo.bloggs", "Jo Bloggs Distinctive", "routine operation"} {
		if tables := tablesContaining(t, srv, needle); len(tables) > 0 {
			t.Errorf("%q still in %v after erasure", needle, tables)
		}
	}
	// The tombstone keeps the address from being mailed: a sign-in link is
	// not even queued for an erased address.
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, ""); r.StatusCode != 202 {
		t.Errorf("sign-in link for an erased address: %d", r.StatusCode)
	}
	waitForMemberWork(t, srv)
	var links int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.compose' AND args->>'template' = 'member-magic-link'`).Scan(&links); err != nil || links != 0 {
		t.Errorf("sign-in emails in the outbox: %d (%v), want none (erasure took the one sent before)", links, err)
	}
}

// tablesContaining scans every user table's rows as text for needle
// (case-insensitive), River's completed jobs included.
func tablesContaining(t *testing.T, srv *apitest.Server, needle string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := srv.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	var found []string
	for _, table := range tables {
		if table == "river_job" {
			continue // outbox jobs are checked separately: sent mail is deleted after a day
		}
		var n int
		if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM "`+table+`" x WHERE x::text ILIKE '%' || $1 || '%'`, needle).Scan(&n); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		if n > 0 {
			found = append(found, table)
		}
	}
	return found
}

// Signing up an address that is already a member looks exactly the same,
// changes nothing, and sends at most one email per address per interval.
func TestSignupRevealsNothingAndFloodsNoOne(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	const email = "existing@example.org"
	srv.MemberToken(t, email)
	// The confirmation used this address's one email for the hour; let the hour pass.
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE member_email_throttle SET last_sent_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	fresh := post(srv, "/v1/members", apitest.SignupBody("new-person@example.org"), "")
	body := apitest.SignupBody("EXISTING@example.org")
	body["name"] = "Someone Else Entirely"
	again := post(srv, "/v1/members", body, "")
	if fresh.StatusCode != again.StatusCode || string(fresh.Body) != string(again.Body) {
		t.Errorf("responses differ: %d %s vs %d %s", fresh.StatusCode, fresh.Body, again.StatusCode, again.Body)
	}
	already := srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "already") })
	if !strings.Contains(already.Text, "sign-in?token=") {
		t.Errorf("already-a-member email lacks a sign-in link:\n%s", already.Text)
	}
	var name string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT name FROM members WHERE status = 'active'`).Scan(&name); err != nil || strings.Contains(name, "Someone Else") {
		t.Errorf("existing member's name overwritten: %q %v", name, err)
	}
	// A burst of signups for one address: no further email within the hour.
	for i := 0; i < 5; i++ {
		post(srv, "/v1/members", apitest.SignupBody("existing+"+strings.Repeat("x", i+1)+"@example.org"), "")
	}
	waitForMemberWork(t, srv)
	var queued int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.compose' AND args->>'template' = 'member-already'`).Scan(&queued); err != nil || queued != 1 {
		t.Errorf("already-a-member emails queued: %d (%v), want 1", queued, err)
	}
}

func TestSignupValidation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	base := func(change func(map[string]any)) map[string]any {
		b := apitest.SignupBody("valid@example.org")
		change(b)
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"bad email", base(func(b map[string]any) { b["email"] = "not-an-email" }), 422, "validation-failed"},
		{"email with display name", base(func(b map[string]any) { b["email"] = "Jo <jo@example.org>" }), 422, "validation-failed"},
		{"no consent", base(func(b map[string]any) { b["membership_consent"] = false }), 422, "consent-required"},
		{"old consent version", base(func(b map[string]any) { b["consent_version"] = "2020-01-01" }), 422, "consent-version-outdated"},
		{"health data without its consent", base(func(b map[string]any) { b["special_category"] = map[string]string{"harmed": "yes"} }), 422, "special-category-consent-required"},
		{"oversize experience", base(func(b map[string]any) {
			b["special_category_consent"] = true
			b["special_category"] = map[string]string{"experience": strings.Repeat("x", 10001)}
		}), 422, "validation-failed"},
		{"unknown interest", base(func(b map[string]any) { b["interests"] = []string{"spam"} }), 422, "validation-failed"},
		{"unknown field", base(func(b map[string]any) { b["is_admin"] = true }), 422, "validation-failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(srv, "/v1/members", c.body, "")
			if p := r.Problem(t); r.StatusCode != c.status || p.Code != c.code {
				t.Errorf("got %d %s %s, want %d %s", r.StatusCode, p.Code, p.Detail, c.status, c.code)
			}
		})
	}
	waitForMemberWork(t, srv)
	var n int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM members`).Scan(&n); err != nil || n != 0 {
		t.Errorf("members stored from invalid signups: %d", n)
	}
}

// A field left out is named where it is (body.name), so a form can show
// the message beside it; so is one nested in an object.
func TestValidationNamesTheMissingField(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	body := apitest.SignupBody("named@example.org")
	delete(body, "name")
	r := post(srv, "/v1/members", body, "")
	p := r.Problem(t)
	if r.StatusCode != 422 || p.Code != "validation-failed" || len(p.Errors) != 1 || p.Errors[0].Location != "body.name" || p.Errors[0].Message != "is required" {
		t.Errorf("missing name: %d %+v", r.StatusCode, p)
	}
}

// Partners retry safely with Idempotency-Key; a storm of the same signup,
// with or without a key, makes one member and never a 500.
func TestPartnerSignupIsIdempotent(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, org := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	body := apitest.SignupBody("partner-signup@example.org")
	body["partner_sharing_consent"] = true
	send := func(b any, idem string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", Body: b, APIKey: key, Header: http.Header{"Idempotency-Key": {idem}}})
	}
	first, second := send(body, "signup-001"), send(body, "signup-001")
	if first.StatusCode != 202 || second.StatusCode != 202 || first.Header.Get("Idempotent-Replayed") != "" || second.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %d %q, second %d %q", first.StatusCode, first.Header.Get("Idempotent-Replayed"), second.StatusCode, second.Header.Get("Idempotent-Replayed"))
	}
	other := apitest.SignupBody("someone-else@example.org")
	if r := send(other, "signup-001"); r.StatusCode != 422 || r.Problem(t).Code != "idempotency-key-reused" {
		t.Errorf("same key, different body: %d", r.StatusCode)
	}

	storm := apitest.SignupBody("storm@example.org")
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); codes <- send(storm, "storm-key").StatusCode }()
		go func() {
			defer wg.Done()
			codes <- post(srv, "/v1/members", apitest.SignupBody("storm@example.org"), "").StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	waitForMemberWork(t, srv)
	for c := range codes {
		if c != 202 && c != 409 {
			t.Errorf("storm answered %d", c)
		}
	}
	ctx := context.Background()
	var n int
	var source, orgID string
	if err := srv.Pool.QueryRow(ctx, `SELECT count(*) FROM members`).Scan(&n); err != nil || n != 2 {
		t.Errorf("members: %d (%v), want 2", n, err)
	}
	if err := srv.Pool.QueryRow(ctx, `SELECT source, source_organisation_id::text FROM members WHERE id = (SELECT member_id FROM consent_events WHERE purpose LIKE 'partner-sharing:%')`).Scan(&source, &orgID); err != nil || source != "partner" || orgID != org.String() {
		t.Errorf("partner source: %q %q %v", source, orgID, err)
	}
}

// A mail server that is down never fails a signup: the email waits in the
// outbox, staff can see it, and it is delivered once the server is back.
func TestSignupSurvivesMailServerOutage(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	srv.Mail.SetFailing(true)
	if r := post(srv, "/v1/members", apitest.SignupBody("patient@example.org"), ""); r.StatusCode != 202 {
		t.Fatalf("signup with mail down: %d", r.StatusCode)
	}
	staff := srv.StaffToken(t, identity.RoleMembership)
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			To        string `json:"to"`
			LastError string `json:"last_error"`
		} `json:"items"`
	}
	apitest.Eventually(t, 10*time.Second, "the failed email shows as retryable", func() bool {
		srv.Do(apitest.Request{Path: "/v1/outbox?state=retryable", Token: staff}).JSON(t, &list)
		return len(list.Items) == 1
	})
	if list.Items[0].To != "p***@example.org" || list.Items[0].LastError == "" {
		t.Errorf("outbox entry: %+v", list.Items[0])
	}
	srv.Mail.SetFailing(false)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/outbox/" + list.Items[0].ID + "/retry", Token: staff}); r.StatusCode != 204 {
		t.Fatalf("retry: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, "patient@example.org", 10*time.Second, nil)
}

func TestAudiencesMustBeTheSitesOwn(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	body := apitest.SignupBody("audience@example.org")
	body["audiences"] = []string{"harmed-patient-family", "research-team"}
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != 202 {
		t.Errorf("known audiences: %d %s", r.StatusCode, r.Body)
	}
	body["audiences"] = []string{"martians"}
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != 422 || !strings.Contains(string(r.Body), "body.audiences") {
		t.Errorf("unknown audience: %d %s", r.StatusCode, r.Body)
	}
}

// A signup's audiences are checked against content's cached list, which
// an audience added since (here straight into the table, as an editor in
// psql would) joins within moments, and one deleted leaves.
func TestSignupAudiencesFollowChangesToTheSitesAudiences(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	signup := func(i int, audience string) int {
		body := apitest.SignupBody(fmt.Sprintf("follow%d@example.org", i))
		body["audiences"] = []string{audience}
		return post(srv, "/v1/members", body, "").StatusCode
	}
	if code := signup(0, "harmed-patient-family"); code != 202 {
		t.Fatalf("known audience: %d", code)
	}
	if code := signup(1, "carers"); code != 422 {
		t.Fatalf("an audience the site does not have: %d, want 422", code)
	}
	if _, err := srv.Pool.Exec(ctx, `INSERT INTO audiences (key, name) VALUES ('carers', 'Carers')`); err != nil {
		t.Fatal(err)
	}
	i := 2
	apitest.Eventually(t, 5*time.Second, "the new audience accepted", func() bool { i++; return signup(i, "carers") == 202 })
	if _, err := srv.Pool.Exec(ctx, `DELETE FROM audiences WHERE key = 'carers'`); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 5*time.Second, "the deleted audience refused", func() bool { i++; return signup(i, "carers") == 422 })
}

// A sealed answer's length must not tell which answer it is.
func TestSealedHarmAnswersAllHaveOneLength(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	answers := []string{"yes", "family", "no", "prefer-not-to-say"}
	for _, harmed := range answers {
		body := apitest.SignupBody(harmed + "@example.org")
		body["special_category_consent"] = true
		body["special_category"] = map[string]string{"harmed": harmed}
		if r := post(srv, "/v1/members", body, ""); r.StatusCode != 202 {
			t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
		}
	}
	waitForMemberWork(t, srv)
	var rows, lengths int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT length(harmed_sealed)) FROM member_sensitive`).Scan(&rows, &lengths); err != nil {
		t.Fatal(err)
	}
	if rows != len(answers) || lengths != 1 {
		t.Fatalf("%d sealed answers have %d different lengths", rows, lengths)
	}
}

// A partner's signup with sharing consent names the partner in the email
// whose link confirms that sharing, for a new member and for one who
// already was: a person cannot agree to tell an organisation they cannot
// see named.
func TestPartnerSharingEmailsNameThePartner(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, unlimited)
	org, err := srv.App.Identity.CreateOrganisation(context.Background(), "Northshire NHS Trust", "", "")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{OrganisationID: org.ID, Scopes: []identity.Scope{identity.ScopeMembersSignup}})
	existing := "already-joined@example.org"
	srv.MemberToken(t, existing)
	for _, addr := range []string{"new-through-partner@example.org", existing} {
		body := apitest.SignupBody(addr)
		body["partner_sharing_consent"] = true
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", Body: body, APIKey: key}); r.StatusCode != 202 {
			t.Fatalf("partner signup of %s: %d %s", addr, r.StatusCode, r.Body)
		}
		m := srv.Mail.WaitFor(t, addr, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Text, "partner") })
		if !strings.Contains(m.Text, "Northshire NHS Trust") || !strings.Contains(m.HTML, "Northshire NHS Trust") {
			t.Errorf("email to %s does not name the partner:\n%s", addr, m.Text)
		}
	}
}
