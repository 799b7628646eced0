package api_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/sitelinks"
)

// Every link a person clicks in an email opens the website, never the API
// (a click is a GET; the API's unsubscribe is a POST for mail clients), and
// the frontend team finds each such page, with what it receives, in the
// contract and in docs/content.md.
func TestEmailLinksLandOnTheWebsite(t *testing.T) {
	t.Parallel()
	const site = "https://www.hpa.example"
	srv := apitest.Start(t, map[string]string{"HPA_SITE_URL": site})
	const email = "links@example.org"
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody(email)}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	msg := srv.Mail.WaitFor(t, email, 10*time.Second, nil)
	hrefs := regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(msg.HTML, -1)
	if len(hrefs) < 2 {
		t.Fatalf("links in the confirmation email: %v", hrefs)
	}
	token := apitest.TokenFrom(t, msg)
	for _, h := range hrefs {
		link := strings.ReplaceAll(h[1], "&amp;", "&")
		if !strings.HasPrefix(link, site+"/") {
			t.Errorf("email links to %s, not the website", link)
		}
	}
	wantConfirm := sitelinks.Confirm.URL(site, token)
	if !strings.Contains(msg.HTML, `href="`+wantConfirm+`"`) {
		t.Errorf("confirmation link is not %s", wantConfirm)
	}
	footer := hrefs[len(hrefs)-1][1]
	if !strings.HasPrefix(footer, site+sitelinks.Unsubscribe.Path+"?token=") {
		t.Fatalf("footer link %s is not the website's unsubscribe page", footer)
	}
	if !strings.Contains(msg.Text, footer) {
		t.Errorf("text part lacks the unsubscribe page %s", footer)
	}

	// The unsubscribe page posts its token to the API, which is also what
	// the List-Unsubscribe header (for mail clients) names.
	page, err := url.Parse(footer)
	if err != nil {
		t.Fatal(err)
	}
	oneClick, err := url.Parse(strings.Trim(msg.Header.Get("List-Unsubscribe"), "<>"))
	if err != nil || oneClick.Path != "/v1/unsubscribe" || oneClick.Query().Get("token") != page.Query().Get("token") ||
		msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q does not name the API's one-click URL with the page's token", msg.Header.Get("List-Unsubscribe"))
	}
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/unsubscribe?token=" + url.QueryEscape(page.Query().Get("token"))})
	if r.StatusCode != http.StatusOK {
		t.Errorf("unsubscribe with the page's token: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/unsubscribe"}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unsubscribe without a token: %d %s", r.StatusCode, r.Body)
	}
}

func TestSiteRoutesAreDocumented(t *testing.T) {
	t.Parallel()
	table := sitelinks.Table()
	if description := api.New(api.Options{}, api.Services{}).OpenAPI().Info.Description; !strings.Contains(description, table) {
		t.Errorf("the contract's description lacks the site routes table:\n%s", table)
	}
	guide, err := os.ReadFile("../docs/content.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), table) {
		t.Errorf("docs/content.md lacks the site routes table (copy it from the contract's description):\n%s", table)
	}
}
