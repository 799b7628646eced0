package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/identity"
)

type publicPage struct {
	Slug            string    `json:"slug"`
	Title           string    `json:"title"`
	Summary         string    `json:"summary"`
	HTML            string    `json:"html"`
	MetaDescription string    `json:"meta_description"`
	PublishedAt     time.Time `json:"published_at"`
	Headings        []struct {
		Level  int    `json:"level"`
		Text   string `json:"text"`
		Anchor string `json:"anchor"`
	} `json:"headings"`
}

type editablePage struct {
	ID        string     `json:"id"`
	Slug      string     `json:"slug"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	HTML      string     `json:"html"`
	Status    string     `json:"status"`
	PublishAt *time.Time `json:"publish_at"`
	Public    bool       `json:"public"`
	Version   int        `json:"version"`
}

// editor is a signed-in editor driving the page API.
type editor struct {
	t     *testing.T
	srv   *apitest.Server
	token string
}

func newEditor(t *testing.T, srv *apitest.Server) *editor {
	return &editor{t: t, srv: srv, token: srv.StaffToken(t, identity.RoleEditor)}
}

func (e *editor) do(method, path, ifMatch string, body any) *apitest.Response {
	e.t.Helper()
	h := http.Header{}
	if ifMatch != "" {
		h.Set("If-Match", ifMatch)
	}
	return e.srv.Do(apitest.Request{Method: method, Path: path, Body: body, Token: e.token, Header: h})
}

// page sends a request that must answer want and returns the page.
func (e *editor) page(want int, method, path, ifMatch string, body any) (editablePage, string) {
	e.t.Helper()
	r := e.do(method, path, ifMatch, body)
	if r.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.StatusCode, want, r.Body)
	}
	var p editablePage
	r.JSON(e.t, &p)
	return p, r.Header.Get("ETag")
}

func publicStatus(srv *apitest.Server, slug string) int {
	return srv.Get("/v1/pages/" + slug).StatusCode
}

func TestFreshInstallServesTheSeedPagesWordForWord(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	want := map[string][]string{
		"home": {"Our Mission", "“To work collaboratively towards a future where harmed patients and families are respected and cared for",
			"Whether you are a Harmed patient/family, Healthcare professional, NHS leader"},
		"about-us": {"We are a group working to increase understanding of the experience of being harmed by healthcare",
			"We believe there should be a moral ‘duty of care’ for healthcare providers",
			"with a focus on the application of Restorative Philosophy, Principles and practices to bring much needed improvement."},
		"restorative-and-just-culture": {"A ‘Restorative and Just’ Culture that recognises and explains the complexity of how incidents occur, dignifies staff and harmed patients / families , and tries",
			"Who has been affected?, what do they need now?, and who has what obligations in relation to those needs?"},
		"join":         {"By signing up as a member of HPA you are stating your support of our mission – to eliminate wherever possible"},
		"donate":       {"Donations we receive help us to cover the costs of our website, webinars, and campaigning work."},
		"get-in-touch": {"Get in touch if you would like to know more about what you can do to help eliminate the sources of compounded harm"},
	}
	for slug, phrases := range want {
		r := srv.Get("/v1/pages/" + slug)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", slug, r.StatusCode, r.Body)
		}
		var p publicPage
		r.JSON(t, &p)
		for _, phrase := range phrases {
			if !strings.Contains(htmlText(p.HTML), phrase) {
				t.Errorf("%s does not contain %q:\n%s", slug, phrase, p.HTML)
			}
		}
	}
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	srv.Get("/v1/pages").JSON(t, &list)
	if len(list.Items) != 6 {
		t.Errorf("list has %d pages, want the 6 seeded", len(list.Items))
	}
}

// htmlText undoes the entity escaping HTML needs, enough to compare prose.
func htmlText(h string) string {
	return strings.NewReplacer("&amp;", "&", "&#39;", "'", "&quot;", `"`, "<p>", "", "</p>", "", "\n", " ").Replace(h)
}

func TestEditorWorkflowFromDraftToRestore(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)

	// Draft: staff can preview it, the public cannot see it.
	draft, etag := ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{
		"slug": "for-nhs-leaders", "title": "For NHS leaders", "summary": "What leaders can do.", "body": "## What you can do\n\nListen first.",
	})
	if draft.Status != "draft" || draft.Public || draft.Version != 1 || !strings.Contains(draft.HTML, `<h2 id="what-you-can-do">`) {
		t.Fatalf("draft = %+v", draft)
	}
	if s := publicStatus(srv, "for-nhs-leaders"); s != http.StatusNotFound {
		t.Fatalf("public sees a draft: %d", s)
	}
	if r := srv.Get("/v1/pages/for-nhs-leaders/preview"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous preview: %d", r.StatusCode)
	}
	preview, previewETag := ed.page(http.StatusOK, "GET", "/v1/pages/for-nhs-leaders/preview", "", nil)
	if preview.Body != "## What you can do\n\nListen first." || previewETag != etag {
		t.Errorf("preview = %+v, ETag %s (create gave %s)", preview, previewETag, etag)
	}

	// Schedule two seconds ahead: invisible now, visible at that time with no restart.
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Millisecond)
	scheduled, etag := ed.page(http.StatusOK, "PATCH", "/v1/pages/for-nhs-leaders", etag, map[string]any{"status": "scheduled", "publish_at": at})
	if scheduled.Status != "scheduled" || scheduled.Public || !scheduled.PublishAt.Equal(at) {
		t.Fatalf("scheduled = %+v", scheduled)
	}
	srv.Get("/v1/pages") // warm the caches the schedule must expire
	if s := publicStatus(srv, "for-nhs-leaders"); s != http.StatusNotFound {
		t.Fatalf("scheduled page visible early: %d", s)
	}
	apitest.Eventually(t, 5*time.Second, "scheduled page goes live", func() bool { return publicStatus(srv, "for-nhs-leaders") == http.StatusOK })
	if time.Now().Before(at) {
		t.Fatalf("page went live before its publish_at")
	}
	var list struct {
		Items []struct{ Slug string } `json:"items"`
	}
	srv.Get("/v1/pages").JSON(t, &list)
	if len(list.Items) == 0 || list.Items[0].Slug != "for-nhs-leaders" {
		t.Errorf("newest page first in the list: %+v", list.Items)
	}

	// Edit the published page: the public sees the edit at once.
	edited, etag := ed.page(http.StatusOK, "PATCH", "/v1/pages/for-nhs-leaders", etag, map[string]any{"body": "## What you can do\n\nListen, then act."})
	if edited.Status != "published" || !edited.Public || edited.Version != 3 {
		t.Fatalf("edited = %+v", edited)
	}
	var p publicPage
	srv.Get("/v1/pages/for-nhs-leaders").JSON(t, &p)
	if !strings.Contains(p.HTML, "Listen, then act.") {
		t.Errorf("public page after edit: %s", p.HTML)
	}

	// Revisions record who changed what; restoring revision 1 brings the body back.
	var revs struct {
		Items []struct {
			Number        int      `json:"number"`
			ChangedFields []string `json:"changed_fields"`
			CreatedBy     string   `json:"created_by"`
		} `json:"items"`
	}
	r := ed.do("GET", "/v1/pages/for-nhs-leaders/revisions", "", nil)
	r.JSON(t, &revs)
	if len(revs.Items) != 3 || revs.Items[0].Number != 3 || revs.Items[0].ChangedFields[0] != "body" || revs.Items[0].CreatedBy == "" {
		t.Fatalf("revisions = %+v", revs.Items)
	}
	var rev1 struct {
		Body string `json:"body"`
	}
	ed.do("GET", "/v1/pages/for-nhs-leaders/revisions/1", "", nil).JSON(t, &rev1)
	if rev1.Body != "## What you can do\n\nListen first." {
		t.Errorf("revision 1 body = %q", rev1.Body)
	}
	restored, etag := ed.page(http.StatusOK, "POST", "/v1/pages/for-nhs-leaders/revisions/1/restore", etag, nil)
	if restored.Body != rev1.Body || restored.Version != 4 || restored.Status != "published" {
		t.Errorf("restored = %+v", restored)
	}
	srv.Get("/v1/pages/for-nhs-leaders").JSON(t, &p)
	if !strings.Contains(p.HTML, "Listen first.") {
		t.Errorf("public page after restore: %s", p.HTML)
	}

	// Archive: gone from the public, still there for editors.
	ed.page(http.StatusOK, "PATCH", "/v1/pages/for-nhs-leaders", etag, map[string]any{"status": "archived"})
	if s := publicStatus(srv, "for-nhs-leaders"); s != http.StatusNotFound {
		t.Errorf("archived page still public: %d", s)
	}
	if r := ed.do("GET", "/v1/pages/all?status=archived", "", nil); !strings.Contains(string(r.Body), "for-nhs-leaders") {
		t.Errorf("editors' list of archived pages: %s", r.Body)
	}
}

func TestStaleAndMissingIfMatchNeverOverwrite(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	alice, bob := newEditor(t, srv), newEditor(t, srv)
	_, etag := alice.page(http.StatusOK, "GET", "/v1/pages/about-us/preview", "", nil)

	bob.page(http.StatusOK, "PATCH", "/v1/pages/about-us", etag, map[string]any{"title": "About HPA"})
	r := alice.do("PATCH", "/v1/pages/about-us", etag, map[string]any{"title": "Who we are"})
	if r.StatusCode != http.StatusPreconditionFailed || r.Problem(t).Code != "stale-version" {
		t.Fatalf("stale write: %d %s", r.StatusCode, r.Body)
	}
	for _, ifMatch := range []string{"", `W/` + etag} {
		r := alice.do("PATCH", "/v1/pages/about-us", ifMatch, map[string]any{"title": "Who we are"})
		want := map[string]int{"": http.StatusPreconditionRequired}[ifMatch]
		if want == 0 {
			want = http.StatusPreconditionFailed
		}
		if r.StatusCode != want {
			t.Errorf("If-Match %q: %d, want %d", ifMatch, r.StatusCode, want)
		}
	}
	for _, path := range []string{"/v1/pages/about-us/revisions/1/restore"} {
		if r := alice.do("POST", path, etag, nil); r.StatusCode != http.StatusPreconditionFailed {
			t.Errorf("stale restore: %d", r.StatusCode)
		}
	}
	if r := alice.do("DELETE", "/v1/pages/about-us", etag, nil); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale delete: %d", r.StatusCode)
	}
	current, _ := alice.page(http.StatusOK, "GET", "/v1/pages/about-us/preview", "", nil)
	if current.Title != "About HPA" || current.Version != 2 {
		t.Errorf("Bob's edit was lost: %+v", current)
	}
}

func TestUnsafeMarkupIsStoredButNeverServed(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	body := "# Hello\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) <a href=\"javascript:alert(2)\">two</a> " +
		"<a href=\"JaVaScRiPt&colon;alert(3)\">three</a>\n\n<img src=\"x\" onerror=\"alert(4)\"> <div onclick=\"alert(5)\" style=\"color:red\">div</div>\n\n" +
		"<iframe src=\"https://evil.example\"></iframe><svg onload=alert(6)></svg>\n\n[fine](https://example.org) and **bold**"
	created, _ := ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{"slug": "xss", "title": "XSS", "body": body, "status": "published"})
	if created.Body != body {
		t.Errorf("the Markdown was not stored as written")
	}
	var p publicPage
	srv.Get("/v1/pages/xss").JSON(t, &p)
	lower := strings.ToLower(p.HTML)
	for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "onload", "<iframe", "<svg", "style=", "alert(4)"} {
		if strings.Contains(lower, bad) {
			t.Errorf("served HTML contains %q:\n%s", bad, p.HTML)
		}
	}
	for _, good := range []string{`<h1 id="hello">Hello</h1>`, `<a href="https://example.org"`, "<strong>bold</strong>"} {
		if !strings.Contains(p.HTML, good) {
			t.Errorf("served HTML lacks %q:\n%s", good, p.HTML)
		}
	}
}

func TestPublicPagesRevalidateWithETags(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	for _, path := range []string{"/v1/pages/about-us", "/v1/pages", "/v1/audiences", "/v1/navigation", "/v1/site", "/v1/search?q=harm"} {
		first := srv.Get(path)
		etag := first.Header.Get("ETag")
		if first.StatusCode != http.StatusOK || !strings.HasPrefix(etag, `"`) || !strings.HasPrefix(first.Header.Get("Cache-Control"), "public") {
			t.Fatalf("%s: %d, ETag %q, Cache-Control %q", path, first.StatusCode, etag, first.Header.Get("Cache-Control"))
		}
		r := srv.Do(apitest.Request{Path: path, Header: http.Header{"If-None-Match": {etag}}})
		if r.StatusCode != http.StatusNotModified || len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Errorf("%s revalidation: %d, %d bytes, ETag %q", path, r.StatusCode, len(r.Body), r.Header.Get("ETag"))
		}
	}
	// An edit changes the page's ETag, so the old one no longer matches.
	before := srv.Get("/v1/pages/donate").Header.Get("ETag")
	ed := newEditor(t, srv)
	_, etag := ed.page(http.StatusOK, "GET", "/v1/pages/donate/preview", "", nil)
	ed.page(http.StatusOK, "PATCH", "/v1/pages/donate", etag, map[string]any{"summary": "Every gift helps."})
	r := srv.Do(apitest.Request{Path: "/v1/pages/donate", Header: http.Header{"If-None-Match": {before}}})
	if r.StatusCode != http.StatusOK || r.Header.Get("ETag") == before {
		t.Errorf("after an edit: %d, ETag %q (was %q)", r.StatusCode, r.Header.Get("ETag"), before)
	}
}

// Two API processes on one database: a publish on one is served by both
// within a second.
func TestPublishReachesEveryInstanceWithinASecond(t *testing.T) {
	// Not parallel: it holds propagation to a one-second deadline.
	a := apitest.Start(t, nil)
	b := apitest.StartOn(t, a.DBURL, nil)
	for _, srv := range []*apitest.Server{a, b} {
		if s := publicStatus(srv, "new-page"); s != http.StatusNotFound {
			t.Fatalf("status %d", s)
		}
		srv.Get("/v1/pages/join") // warm the caches
	}
	ed := newEditor(t, a)
	ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{"slug": "new-page", "title": "New", "status": "published"})
	_, etag := ed.page(http.StatusOK, "GET", "/v1/pages/join/preview", "", nil)
	ed.page(http.StatusOK, "PATCH", "/v1/pages/join", etag, map[string]any{"title": "Become a member"})
	for name, srv := range map[string]*apitest.Server{"a": a, "b": b} {
		apitest.Eventually(t, time.Second, "instance "+name+" serves the new and the edited page", func() bool {
			var p publicPage
			srv.Get("/v1/pages/join").JSON(t, &p)
			return publicStatus(srv, "new-page") == http.StatusOK && p.Title == "Become a member"
		})
	}
}

func TestPageBadInput(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	_, etag := ed.page(http.StatusOK, "GET", "/v1/pages/donate/preview", "", nil)
	for _, c := range []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"duplicate slug", "POST", "/v1/pages", map[string]any{"slug": "donate", "title": "Again"}, 409, "slug-taken"},
		{"rename onto another page", "PATCH", "/v1/pages/donate", map[string]any{"slug": "join"}, 409, "slug-taken"},
		{"reserved slug", "POST", "/v1/pages", map[string]any{"slug": "preview", "title": "P"}, 422, "slug-reserved"},
		{"malformed slug", "POST", "/v1/pages", map[string]any{"slug": "About Us", "title": "P"}, 422, "validation-failed"},
		{"no title", "POST", "/v1/pages", map[string]any{"slug": "x"}, 422, "validation-failed"},
		{"schedule without a time", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "status": "scheduled"}, 422, "validation-failed"},
		{"unknown status", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "status": "live"}, 422, "validation-failed"},
		{"bad image URL", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "social_image_url": "javascript:alert(1)"}, 422, "validation-failed"},
		{"NUL in the body", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "body": "a\x00b"}, 422, "invalid-text"},
		{"oversize body", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "body": strings.Repeat("a", 100001)}, 422, "validation-failed"},
		{"body over 1 MiB", "POST", "/v1/pages", map[string]any{"slug": "x", "title": "X", "body": strings.Repeat("a", 1<<20)}, 413, "body-too-large"},
		{"unknown page", "PATCH", "/v1/pages/nowhere", map[string]any{"title": "X"}, 404, "not-found"},
		{"unknown revision", "GET", "/v1/pages/donate/revisions/99", nil, 404, "not-found"},
		{"page in a menu", "DELETE", "/v1/pages/donate", nil, 409, "page-in-use"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ifMatch := etag // what an update or a delete checks; a create takes none
			if c.method == "POST" {
				ifMatch = ""
			}
			r := ed.do(c.method, c.path, ifMatch, c.body)
			if r.StatusCode != c.status || r.Problem(t).Code != c.code {
				t.Errorf("%d %s, want %d %s", r.StatusCode, r.Body, c.status, c.code)
			}
		})
	}
	// Nothing was lost on the way.
	p, _ := ed.page(http.StatusOK, "GET", "/v1/pages/donate/preview", "", nil)
	if p.Version != 1 || p.Title != "Help fund our work" {
		t.Errorf("donate page changed: %+v", p)
	}
}

// Seeding again never brings back what editors deleted or changed.
func TestReseedingKeepsEditorsChanges(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	_, etag := ed.page(http.StatusOK, "GET", "/v1/pages/about-us/preview", "", nil)
	ed.page(http.StatusOK, "PATCH", "/v1/pages/about-us", etag, map[string]any{"title": "Who we are"})
	r := ed.do("GET", "/v1/navigation/footer", "", nil)
	ed.do("PUT", "/v1/navigation/footer", r.Header.Get("ETag"), map[string]any{"items": []any{}})
	_, etag = ed.page(http.StatusOK, "GET", "/v1/pages/donate/preview", "", nil)
	cta := ed.do("GET", "/v1/calls-to-action", "", nil)
	ed.do("PUT", "/v1/calls-to-action", cta.Header.Get("ETag"), map[string]any{"items": []any{}})
	nav := ed.do("GET", "/v1/navigation/header", "", nil)
	ed.do("PUT", "/v1/navigation/header", nav.Header.Get("ETag"), map[string]any{"items": []any{map[string]any{"label": "Home", "page_slug": "home"}}})
	if r := ed.do("DELETE", "/v1/pages/donate", etag, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}
	a := ed.do("GET", "/v1/audiences/regulator", "", nil)
	ed.do("DELETE", "/v1/audiences/regulator", a.Header.Get("ETag"), nil)

	report, err := app.Seed(context.Background(), srv.Pool, srv.Config)
	if err != nil || report.String() != "0 site profile row(s), 0 page(s), 0 audience(s), 0 call(s) to action, 0 navigation item(s), 0 visit counter baseline(s) added" {
		t.Fatalf("reseed: %q %v", report, err)
	}
	if s := publicStatus(srv, "donate"); s != http.StatusNotFound {
		t.Errorf("deleted page came back: %d", s)
	}
	var p publicPage
	srv.Get("/v1/pages/about-us").JSON(t, &p)
	if p.Title != "Who we are" {
		t.Errorf("edited title overwritten: %q", p.Title)
	}
	if strings.Contains(string(srv.Get("/v1/audiences").Body), `"regulator"`) {
		t.Errorf("deleted audience came back")
	}
}
