package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/harmedpatients/hpa/internal/apitest"
)

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	r := srv.Do(apitest.Request{Path: "/v1/nothing-here", NoCheck: true})
	p := r.Problem(t)
	if r.StatusCode != 404 || p.Code != "not-found" || p.Type != "urn:hpa:problem:not-found" || p.Status != 404 || p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-ID") {
		t.Errorf("404: %d %+v", r.StatusCode, p)
	}
	r = srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/site", NoCheck: true})
	p = r.Problem(t)
	if r.StatusCode != 405 || p.Code != "method-not-allowed" {
		t.Errorf("405: %d %+v", r.StatusCode, p)
	}
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q", allow)
	}
}

func TestRequestLimitsAreProblems(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	cases := []struct {
		name   string
		req    apitest.Request
		status int
		code   string
	}{
		{"huge query string", apitest.Request{Path: "/v1/site?q=" + strings.Repeat("a", 20000)}, 414, "uri-too-long"},
		{"huge headers", apitest.Request{Path: "/v1/site", Header: http.Header{"X-Big": {strings.Repeat("b", 40000)}}}, 431, "headers-too-large"},
		{"huge body", apitest.Request{Method: "POST", Path: "/v1/site", Body: bytes.Repeat([]byte("x"), 2<<20)}, 413, "body-too-large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.NoCheck = true
			r := srv.Do(c.req)
			if p := r.Problem(t); r.StatusCode != c.status || p.Code != c.code {
				t.Errorf("got %d %q, want %d %q", r.StatusCode, p.Code, c.status, c.code)
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	r := srv.Do(apitest.Request{Path: "/healthz", Header: http.Header{"X-Request-Id": {"trace-abc.123_X"}}})
	if got := r.Header.Get("X-Request-ID"); got != "trace-abc.123_X" {
		t.Errorf("sane incoming ID not kept: %q", got)
	}
	for _, bad := range []string{"has space", "<script>", strings.Repeat("a", 65)} {
		r := srv.Do(apitest.Request{Path: "/healthz", Header: http.Header{"X-Request-Id": {bad}}})
		if got := r.Header.Get("X-Request-ID"); got == bad || len(got) < 16 {
			t.Errorf("incoming %q: response ID %q", bad, got)
		}
	}
	a, b := srv.Get("/healthz").Header.Get("X-Request-ID"), srv.Get("/healthz").Header.Get("X-Request-ID")
	if a == b {
		t.Errorf("generated IDs repeat: %q", a)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	security := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"Referrer-Policy":         "no-referrer",
	}
	r := srv.Get("/v1/site")
	stale := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"If-None-Match": {`"stale"`}}})
	for header, want := range security {
		if got := r.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
		if got := stale.Header.Get(header); stale.StatusCode != 200 || got != want {
			t.Errorf("conditional GET answered %d: %s = %q, want %q", stale.StatusCode, header, got, want)
		}
	}
	// A 304 carries only what updates the cached response, which keeps the
	// security headers it came with.
	fresh := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"If-None-Match": {r.Header.Get("ETag")}}})
	if fresh.StatusCode != 304 || fresh.Header.Get("ETag") == "" || fresh.Header.Get("Cache-Control") == "" {
		t.Fatalf("revalidation: %d %v", fresh.StatusCode, fresh.Header)
	}
	for header := range security {
		if got := fresh.Header.Get(header); got != "" {
			t.Errorf("304 carries %s: %q", header, got)
		}
	}
	// The docs page keeps its own CSP on a conditional GET.
	docs := srv.Do(apitest.Request{Path: "/docs", NoCheck: true})
	docsStale := srv.Do(apitest.Request{Path: "/docs", NoCheck: true, Header: http.Header{"If-None-Match": {`"stale"`}}})
	if csp := docsStale.Header.Get("Content-Security-Policy"); csp != docs.Header.Get("Content-Security-Policy") || csp == security["Content-Security-Policy"] {
		t.Errorf("docs CSP on a conditional GET = %q", csp)
	}
	if cc := srv.Get("/healthz").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("default Cache-Control = %q", cc)
	}
}

func TestRateLimitPerClientAddress(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_RATE_LIMIT": "3", "HPA_RATE_WINDOW": "1m"})
	for i := 0; i < 3; i++ {
		if r := srv.Get("/v1/site"); r.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, r.StatusCode)
		}
	}
	r := srv.Get("/v1/site")
	if p := r.Problem(t); r.StatusCode != 429 || p.Code != "rate-limited" {
		t.Fatalf("4th request: %d %+v", r.StatusCode, p)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Probes are never limited.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := srv.Do(apitest.Request{Path: path, NoCheck: path == "/metrics"}); r.StatusCode != 200 {
			t.Errorf("%s while limited: %d", path, r.StatusCode)
		}
	}
}

func TestRateLimitTrustsForwardedForOnlyFromConfiguredProxies(t *testing.T) {
	t.Parallel()
	limited := apitest.Start(t, map[string]string{"HPA_RATE_LIMIT": "2"})
	proxied := apitest.Start(t, map[string]string{"HPA_RATE_LIMIT": "2", "HPA_TRUSTED_PROXIES": "127.0.0.1/32,::1"})
	spoof := func(srv *apitest.Server, ip string) int {
		return srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"X-Forwarded-For": {ip}}}).StatusCode
	}
	// Untrusted peer: a fresh X-Forwarded-For per request changes nothing.
	codes := []int{spoof(limited, "203.0.113.1"), spoof(limited, "203.0.113.2"), spoof(limited, "203.0.113.3")}
	if codes[2] != 429 {
		t.Errorf("spoofed X-Forwarded-For evaded the limit: %v", codes)
	}
	// Trusted proxy: each forwarded client has its own budget.
	codes = []int{spoof(proxied, "203.0.113.1"), spoof(proxied, "203.0.113.1"), spoof(proxied, "203.0.113.1"), spoof(proxied, "203.0.113.2")}
	if codes[2] != 429 || codes[3] != 200 {
		t.Errorf("per-client limits behind a trusted proxy: %v", codes)
	}
}

func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_CORS_ORIGINS": "https://www.example.org"})
	preflight := func(origin string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodOptions, Path: "/v1/site", NoCheck: true, Header: http.Header{
			"Origin": {origin}, "Access-Control-Request-Method": {"GET"},
		}})
	}
	r := preflight("https://www.example.org")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "https://www.example.org" {
		t.Errorf("allowed origin: ACAO = %q", got)
	}
	if r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials must not be allowed")
	}
	if got := preflight("https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("other origin: ACAO = %q", got)
	}
	get := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"Origin": {"https://www.example.org"}}})
	if got := get.Header.Get("Access-Control-Allow-Origin"); got != "https://www.example.org" {
		t.Errorf("simple request: ACAO = %q", got)
	}
	if exposed := get.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "X-Request-Id") && !strings.Contains(exposed, "X-Request-ID") {
		t.Errorf("exposed headers = %q", exposed)
	}
}

func TestLargeResponsesAreCompressed(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	plain := srv.Do(apitest.Request{Path: "/openapi.json", NoCheck: true, Header: http.Header{"Accept-Encoding": {"identity"}}})
	for _, enc := range []string{"br", "gzip"} {
		r := srv.Do(apitest.Request{Path: "/openapi.json", NoCheck: true, Header: http.Header{"Accept-Encoding": {enc}}})
		if r.Header.Get("Content-Encoding") != enc {
			t.Fatalf("%s: Content-Encoding = %q", enc, r.Header.Get("Content-Encoding"))
		}
		var rd io.Reader
		if enc == "br" {
			rd = brotli.NewReader(bytes.NewReader(r.Body))
		} else {
			gz, err := gzip.NewReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			rd = gz
		}
		got, err := io.ReadAll(rd)
		if err != nil || !bytes.Equal(got, plain.Body) {
			t.Errorf("%s: decoded body differs (%v)", enc, err)
		}
		if len(r.Body) >= len(plain.Body)/2 {
			t.Errorf("%s: %d bytes compressed vs %d plain", enc, len(r.Body), len(plain.Body))
		}
	}
	small := srv.Do(apitest.Request{Path: "/healthz", Header: http.Header{"Accept-Encoding": {"br, gzip"}}})
	if small.Header.Get("Content-Encoding") != "" {
		t.Errorf("small response compressed: %q", small.Header.Get("Content-Encoding"))
	}
}

func TestMetricsExposeRequestsPoolAndRuntime(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	srv.Get("/v1/site")
	r := srv.Do(apitest.Request{Path: "/metrics", NoCheck: true})
	body := string(r.Body)
	for _, want := range []string{
		`hpa_http_requests_total{method="GET",operation="get-site",status="200"} 1`,
		`hpa_http_request_duration_seconds_bucket{method="GET",operation="get-site"`,
		"hpa_db_pool_max_connections 10",
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_METRICS_TOKEN": "s3cret-token"})
	if r := srv.Do(apitest.Request{Path: "/metrics", NoCheck: true}); r.StatusCode != 401 {
		t.Errorf("without token: %d", r.StatusCode)
	}
	if r := srv.Do(apitest.Request{Path: "/metrics", NoCheck: true, Header: http.Header{"Authorization": {"Bearer s3cret-token"}}}); r.StatusCode != 200 {
		t.Errorf("with token: %d", r.StatusCode)
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	if r := srv.Get("/readyz"); r.StatusCode != 200 {
		t.Fatalf("readyz: %d %s", r.StatusCode, r.Body)
	}
	// Pretend a newer binary's migration is pending: readiness must fail.
	if _, err := srv.Pool.Exec(t.Context(), `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	r := srv.Get("/readyz")
	if p := r.Problem(t); r.StatusCode != 503 || p.Code != "unavailable" || !strings.Contains(p.Detail, "pending") {
		t.Errorf("readyz with pending migration: %d %+v", r.StatusCode, p)
	}
	if r := srv.Get("/healthz"); r.StatusCode != 200 {
		t.Errorf("healthz must not depend on the database: %d", r.StatusCode)
	}
}
