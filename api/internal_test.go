package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/logging"
)

func TestPanicsBecomeLoggedProblemsAndTheServerLivesOn(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &server{logger: logging.New(&logs, "json", nil), metrics: newHTTPMetrics(nil), requestIDs: newRequestIDs()}
	calls := 0
	h := s.requestContext(recoverPanics(s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			panic("boom: nil map")
		}
		w.WriteHeader(http.StatusNoContent)
	}))))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("X-Request-ID")
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" || p.Code != "internal-error" || p.RequestID != id || id == "" {
		t.Errorf("panic answered %d %q %+v", resp.StatusCode, resp.Header.Get("Content-Type"), p)
	}
	if strings.Contains(p.Detail, "boom") {
		t.Errorf("panic value leaked to the client: %q", p.Detail)
	}
	log := logs.String()
	if !strings.Contains(log, `"panic":"boom: nil map"`) || !strings.Contains(log, "internal_test.go") || !strings.Contains(log, `"request_id":"`+id+`"`) {
		t.Errorf("log lacks the panic, its stack or the request ID:\n%s", log)
	}
	again, err := http.Get(srv.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNoContent {
		t.Errorf("after the panic: %d", again.StatusCode)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	s := &server{trustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	cases := []struct {
		remote, xff, want string
	}{
		{"198.51.100.7:1234", "", "198.51.100.7"},
		{"198.51.100.7:1234", "203.0.113.9", "198.51.100.7"},      // untrusted peer: header ignored
		{"10.0.0.2:1234", "203.0.113.9", "203.0.113.9"},           // trusted proxy
		{"10.0.0.2:1234", "203.0.113.9, 10.1.1.1", "203.0.113.9"}, // chain of trusted proxies
		{"10.0.0.2:1234", "1.2.3.4, 203.0.113.9", "203.0.113.9"},  // spoofed leftmost entry ignored
		{"10.0.0.2:1234", "garbage", "10.0.0.2"},
		{"[::ffff:198.51.100.7]:1", "", "198.51.100.7"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientIP(r).String(); got != c.want {
			t.Errorf("remote %s, XFF %q: got %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestNegotiateEncoding(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]string{
		"":                     "",
		"identity":             "",
		"gzip":                 "gzip",
		"gzip, deflate, br":    "br",
		"br;q=0.5, gzip":       "gzip",
		"br;q=0, gzip;q=0":     "",
		"GZIP;q=0.8, br;q=0.8": "br",
		"deflate, gzip;q=0.1":  "gzip",
		"*":                    "",
	} {
		if got := negotiateEncoding(header); got != want {
			t.Errorf("negotiateEncoding(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestAccessLogKeepsErrorsUnlessAskedForAll(t *testing.T) {
	t.Parallel()
	for _, all := range []bool{false, true} {
		var logs bytes.Buffer
		s := &server{logger: logging.New(&logs, "json", nil), metrics: newHTTPMetrics(nil), requestIDs: newRequestIDs(), accessLogAll: all}
		h := s.requestContext(s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/missing" {
				w.WriteHeader(http.StatusNotFound)
			}
		})))
		for _, path := range []string{"/fine", "/missing"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		}
		log := logs.String()
		if !strings.Contains(log, `"path":"/missing"`) || strings.Contains(log, `"path":"/fine"`) != all {
			t.Errorf("access log (all=%v):\n%s", all, log)
		}
	}
}

// The docs page is the same bytes every time (its ETag must not change
// between processes), and lists every media type a body may have.
func TestDocsPageIsDeterministic(t *testing.T) {
	t.Parallel()
	oapi := New(Options{}, Services{}).OpenAPI()
	first, err := renderDocs(oapi)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := renderDocs(oapi)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two renderings of the docs page differ")
		}
	}
	if !bytes.Contains(first, []byte("application/json, text/csv")) {
		t.Error("a response with JSON and CSV bodies does not list both")
	}
}
