package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
)

type siteDocument struct {
	MissionStatement     string   `json:"mission_statement"`
	RestorativeQuestions []string `json:"restorative_questions"`
	AudiencesIntro       string   `json:"audiences_intro"`
	Audiences            []struct {
		Key, Name, Message string
		PageSlug           string `json:"page_slug"`
	} `json:"audiences"`
	CallsToAction []struct {
		Key, Title, Text string
		PageSlug         string `json:"page_slug"`
	} `json:"calls_to_action"`
	Navigation map[string][]struct {
		Label    string `json:"label"`
		PageSlug string `json:"page_slug"`
		URL      string `json:"url"`
	} `json:"navigation"`
}

func TestSiteServesTheWholeHomePageInOneCall(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	var s siteDocument
	srv.Get("/v1/site").JSON(t, &s)
	if strings.Join(s.RestorativeQuestions, " ") != "Who has been affected? What do they need now? Who has what obligations in relation to those needs?" {
		t.Errorf("questions = %q", s.RestorativeQuestions)
	}
	if !strings.HasPrefix(s.AudiencesIntro, "Whether you are a Harmed patient/family") {
		t.Errorf("audiences intro = %q", s.AudiencesIntro)
	}
	var names []string
	for _, a := range s.Audiences {
		names = append(names, a.Name)
		if !strings.HasPrefix(a.Message, "Get in touch if you would like to know more") {
			t.Errorf("audience %s message = %q", a.Key, a.Message)
		}
	}
	if got := strings.Join(names, "|"); got != "Harmed patient/family|Healthcare professional|NHS leader|Policy maker|Regulator|Royal College|"+
		"Patient advocacy provider|Charity|Research Team|Legal Professional|Anyone else" {
		t.Errorf("audiences = %s", got)
	}
	var ctas []string
	for _, c := range s.CallsToAction {
		ctas = append(ctas, c.Key+">"+c.PageSlug)
	}
	if strings.Join(ctas, " ") != "join>join donate>donate get-in-touch>get-in-touch" || !strings.HasPrefix(s.CallsToAction[1].Text, "Donations we receive") {
		t.Errorf("calls to action = %+v", s.CallsToAction)
	}
	if len(s.Navigation["header"]) != 6 || s.Navigation["header"][1].PageSlug != "about-us" || len(s.Navigation["footer"]) != 2 {
		t.Errorf("navigation = %+v", s.Navigation)
	}
	var list struct {
		Items []struct{ Key, Name string } `json:"items"`
	}
	srv.Get("/v1/audiences").JSON(t, &list)
	if len(list.Items) != 11 || list.Items[2].Key != "nhs-leader" {
		t.Errorf("GET /v1/audiences = %+v", list.Items)
	}
}

func TestEditorsChangeTheMissionConditionally(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	etag := srv.Get("/v1/site").Header.Get("ETag")
	if r := ed.do("PATCH", "/v1/site", "", map[string]any{"tagline": "x"}); r.StatusCode != http.StatusPreconditionRequired || r.Problem(t).Code != "precondition-required" {
		t.Fatalf("no If-Match: %d %s", r.StatusCode, r.Body)
	}
	r := ed.do("PATCH", "/v1/site", etag, map[string]any{
		"restorative_questions": []string{"Who has been hurt?", "What do they need?", "Whose obligation is it to meet those needs?"},
		"contact_email":         "hello@example.org",
	})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", r.StatusCode, r.Body)
	}
	var s siteDocument
	srv.Get("/v1/site").JSON(t, &s)
	if s.RestorativeQuestions[0] != "Who has been hurt?" || !strings.HasPrefix(s.MissionStatement, "To work collaboratively") {
		t.Errorf("after update: %+v", s.RestorativeQuestions)
	}
	if r := ed.do("PATCH", "/v1/site", etag, map[string]any{"tagline": "stale"}); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale update: %d", r.StatusCode)
	}
	if r := ed.do("PATCH", "/v1/site", r.Header.Get("ETag"), map[string]any{"contact_email": "not an email"}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad email: %d", r.StatusCode)
	}
}

func TestAudiencesAreEditableAndOrdered(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	r := ed.do("POST", "/v1/audiences", "", map[string]any{"key": "journalists", "name": "Journalists", "message": "Tell the story well.", "position": 0, "page_slug": "get-in-touch"})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	etag := r.Header.Get("ETag")
	var list struct {
		Items []struct {
			Key      string `json:"key"`
			PageSlug string `json:"page_slug"`
			Message  string `json:"message"`
		} `json:"items"`
	}
	srv.Get("/v1/audiences").JSON(t, &list)
	if list.Items[0].Key != "journalists" || list.Items[0].PageSlug != "get-in-touch" {
		t.Errorf("first audience = %+v", list.Items[0])
	}
	if r := ed.do("POST", "/v1/audiences", "", map[string]any{"key": "journalists", "name": "Again"}); r.StatusCode != http.StatusConflict || r.Problem(t).Code != "audience-key-taken" {
		t.Errorf("duplicate key: %d %s", r.StatusCode, r.Body)
	}
	if r := ed.do("POST", "/v1/audiences", "", map[string]any{"key": "x", "name": "X", "page_slug": "nowhere"}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown page: %d %s", r.StatusCode, r.Body)
	}
	r = ed.do("PATCH", "/v1/audiences/journalists", etag, map[string]any{"message": "Tell it truly.", "position": 99})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", r.StatusCode, r.Body)
	}
	if r := ed.do("PATCH", "/v1/audiences/journalists", etag, map[string]any{"message": "stale"}); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale update: %d", r.StatusCode)
	}
	srv.Get("/v1/audiences").JSON(t, &list)
	if last := list.Items[len(list.Items)-1]; last.Key != "journalists" || last.Message != "Tell it truly." {
		t.Errorf("last audience = %+v", last)
	}
	if r := ed.do("DELETE", "/v1/audiences/journalists", r.Header.Get("ETag"), nil); r.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.StatusCode, r.Body)
	}
	if r := ed.do("GET", "/v1/audiences/journalists", "", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("after delete: %d", r.StatusCode)
	}
}

func TestMenusHideDraftsAndRefuseUnsafeLinks(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{"slug": "coming-soon", "title": "Coming soon"})
	menu := ed.do("GET", "/v1/navigation/footer", "", nil)
	items := []map[string]any{
		{"label": "Donate", "page_slug": "donate"},
		{"label": "Coming soon", "page_slug": "coming-soon"},
		{"label": "Contact", "url": "mailto:hello@example.org"},
		{"label": "Privacy", "url": "/privacy"},
	}
	r := ed.do("PUT", "/v1/navigation/footer", menu.Header.Get("ETag"), map[string]any{"items": items})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("replace: %d %s", r.StatusCode, r.Body)
	}
	var nav struct {
		Footer []struct {
			Label string `json:"label"`
		} `json:"footer"`
	}
	srv.Get("/v1/navigation").JSON(t, &nav)
	var labels []string
	for _, it := range nav.Footer {
		labels = append(labels, it.Label)
	}
	if strings.Join(labels, ",") != "Donate,Contact,Privacy" {
		t.Errorf("public footer = %v (the draft must be hidden)", labels)
	}
	if r := ed.do("GET", "/v1/navigation/footer", "", nil); !strings.Contains(string(r.Body), "coming-soon") {
		t.Errorf("editors' view lacks the draft entry: %s", r.Body)
	}
	etag := r.Header.Get("ETag")
	for _, bad := range []map[string]any{
		{"label": "x", "url": "javascript:alert(1)"},
		{"label": "x", "url": "//evil.example/path"},
		{"label": "x", "url": "/ok", "page_slug": "donate"},
		{"label": "x", "page_slug": "nowhere"},
	} {
		r := ed.do("PUT", "/v1/navigation/footer", etag, map[string]any{"items": []any{bad}})
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s", bad, r.StatusCode, r.Body)
		}
	}
	if r := ed.do("PUT", "/v1/navigation/footer", menu.Header.Get("ETag"), map[string]any{"items": []any{}}); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale replace: %d", r.StatusCode)
	}
	srv.Get("/v1/navigation").JSON(t, &nav)
	if len(nav.Footer) != 3 {
		t.Errorf("refused replacements changed the menu: %+v", nav.Footer)
	}
}

func TestCallsToActionAreReplacedAsAList(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ed := newEditor(t, srv)
	current := ed.do("GET", "/v1/calls-to-action", "", nil)
	items := []map[string]any{
		{"key": "donate", "title": "Help fund our work", "text": "Every gift helps.", "button_label": "Donate", "page_slug": "donate"},
		{"key": "newsletter", "title": "Stay in touch", "text": "News now and then.", "button_label": "Sign up", "url": "https://example.org/news"},
	}
	if r := ed.do("PUT", "/v1/calls-to-action", current.Header.Get("ETag"), map[string]any{"items": items}); r.StatusCode != http.StatusOK {
		t.Fatalf("replace: %d %s", r.StatusCode, r.Body)
	}
	var s siteDocument
	srv.Get("/v1/site").JSON(t, &s)
	if len(s.CallsToAction) != 2 || s.CallsToAction[0].Key != "donate" || s.CallsToAction[1].Title != "Stay in touch" {
		t.Errorf("calls to action = %+v", s.CallsToAction)
	}
	dup := []map[string]any{items[0], items[0]}
	r := ed.do("PUT", "/v1/calls-to-action", ed.do("GET", "/v1/calls-to-action", "", nil).Header.Get("ETag"), map[string]any{"items": dup})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("duplicate keys: %d %s", r.StatusCode, r.Body)
	}
}
