package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
)

type searchResults struct {
	Items []struct {
		Slug    string  `json:"slug"`
		Title   string  `json:"title"`
		Snippet string  `json:"snippet"`
		Rank    float64 `json:"rank"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func search(t *testing.T, srv *apitest.Server, q string) searchResults {
	t.Helper()
	r := srv.Get("/v1/search?q=" + url.QueryEscape(q))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("search %q: %d %s", q, r.StatusCode, r.Body)
	}
	var res searchResults
	r.JSON(t, &res)
	return res
}

func TestSearchRanksAndHighlightsPublishedPages(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	res := search(t, srv, "restorative culture")
	if len(res.Items) == 0 || res.Items[0].Slug != "restorative-and-just-culture" {
		t.Fatalf("best match = %+v", res.Items)
	}
	if !strings.Contains(res.Items[0].Snippet, "<mark>Restorative</mark>") && !strings.Contains(res.Items[0].Snippet, "<mark>Culture</mark>") {
		t.Errorf("snippet = %q", res.Items[0].Snippet)
	}
	for i := 1; i < len(res.Items); i++ {
		if res.Items[i].Rank > res.Items[i-1].Rank {
			t.Errorf("results out of rank order: %+v", res.Items)
		}
	}
	// English stemming: "donation" finds "Donations".
	if res := search(t, srv, "donation"); len(res.Items) == 0 || res.Items[0].Slug != "donate" {
		t.Errorf("donation → %+v", res.Items)
	}

	// Drafts are never found, and their text never leaks into snippets;
	// page text is escaped, only the highlights are markup.
	ed := newEditor(t, srv)
	ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{"slug": "secret-plan", "title": "Zanzibar plan", "body": "zanzibar"})
	if res := search(t, srv, "zanzibar"); len(res.Items) != 0 {
		t.Errorf("a draft was found: %+v", res.Items)
	}
	ed.page(http.StatusCreated, "POST", "/v1/pages", "", map[string]any{"slug": "markup", "title": "Markup", "status": "published",
		"body": "Quokka &lt;script&gt; `<b>bold quokka</b>`"})
	res = search(t, srv, "quokka")
	if len(res.Items) != 1 || strings.Contains(res.Items[0].Snippet, "<script") || strings.Contains(res.Items[0].Snippet, "<b>") ||
		!strings.Contains(res.Items[0].Snippet, "<mark>Quokka</mark>") {
		t.Errorf("markup snippet = %+v", res.Items)
	}
}

func TestSearchPagesAndRefusesNonsense(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	r := srv.Get("/v1/search?q=harm&limit=2")
	var first searchResults
	r.JSON(t, &first)
	if len(first.Items) != 2 || first.NextCursor == "" {
		t.Fatalf("first page = %+v", first)
	}
	var second searchResults
	srv.Get("/v1/search?q=harm&limit=2&cursor="+first.NextCursor).JSON(t, &second)
	if len(second.Items) == 0 || second.Items[0].Slug == first.Items[0].Slug || second.Items[0].Slug == first.Items[1].Slug {
		t.Errorf("second page repeats the first: %+v then %+v", first.Items, second.Items)
	}
	for _, q := range []string{"the", `"unclosed`, "-", "a & b | !c", "%00", "😀"} {
		if r := srv.Get("/v1/search?q=" + url.QueryEscape(q)); r.StatusCode != http.StatusOK {
			t.Errorf("q=%q: %d %s", q, r.StatusCode, r.Body)
		}
	}
	for _, path := range []string{"/v1/search", "/v1/search?q=", "/v1/search?q=" + strings.Repeat("x", 201), "/v1/search?q=x&cursor=bogus"} {
		if r := srv.Get(path); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", path, r.StatusCode, r.Body)
		}
	}
}
