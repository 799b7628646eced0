package api_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
)

// A browser's beacon works as the contract says: a string (text/plain) from
// an allowed origin is accepted without a preflight, while an
// application/json Blob cannot work because its credentialed preflight is
// never allowed. HPA_CORS_ORIGINS also says which sites' visits count, and
// the contract and docs/statistics.md say both where the frontend reads.
func TestBeaconsAsBrowsersSendThem(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_CORS_ORIGINS": "https://www.hpa.example", "HPA_VISITS_FLUSH_INTERVAL": "20ms"})
	origin := http.Header{"Origin": {"https://www.hpa.example"}}
	r := beacon(srv, `{"name":"pageview","url":"https://www.hpa.example/about"}`, origin.Clone())
	if r.StatusCode != http.StatusAccepted || r.Header.Get("Access-Control-Allow-Origin") != "https://www.hpa.example" {
		t.Errorf("string beacon: %d, Access-Control-Allow-Origin %q", r.StatusCode, r.Header.Get("Access-Control-Allow-Origin"))
	}
	preflight := srv.Do(apitest.Request{Method: http.MethodOptions, Path: "/v1/events", NoCheck: true, Header: http.Header{
		"Origin": {"https://www.hpa.example"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}})
	if preflight.Header.Get("Access-Control-Allow-Credentials") == "true" {
		t.Errorf("preflight allows credentials; the documentation says a Blob beacon is dropped")
	}
	// The hosts of HPA_CORS_ORIGINS are the sites whose visits count.
	r = beacon(srv, `{"name":"pageview","url":"https://elsewhere.example/about"}`, origin.Clone())
	if p := r.Problem(t); r.StatusCode != http.StatusUnprocessableEntity || p.Code != "hostname-not-allowed" || len(p.Errors) == 0 || p.Errors[0].Location != "body.url" {
		t.Errorf("event for another host: %d %+v", r.StatusCode, p)
	}

	spec := api.New(api.Options{}, api.Services{}).OpenAPI()
	guide, err := os.ReadFile("../docs/statistics.md")
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"send-event's description": spec.Paths["/v1/events"].Post.Description, "docs/statistics.md": string(guide)} {
		for _, must := range []string{"Blob", "application/json", "Access-Control-Allow-Credentials", "HPA_CORS_ORIGINS", "HPA_VISITS_HOSTNAMES", "hostname-not-allowed"} {
			if !strings.Contains(text, must) {
				t.Errorf("%s does not mention %s", where, must)
			}
		}
	}
}
