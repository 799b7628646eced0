package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// BenchmarkGetSite measures the whole middleware chain and handler in
// process (no network); scripts/bench/site.sh measures over TCP.
func BenchmarkGetSite(b *testing.B) {
	srv := apitest.Start(b, nil)
	h := srv.App.Handler()
	req := httptest.NewRequest("GET", "/v1/site", nil)
	req.RemoteAddr = "127.0.0.1:1234"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkGetMe is a whole authenticated request: token validation, the
// cached account check, and the handler's database read.
func BenchmarkGetMe(b *testing.B) {
	srv := apitest.Start(b, nil)
	token := srv.StaffToken(b, identity.RoleEditor)
	h := srv.App.Handler()
	req := httptest.NewRequest("GET", "/v1/auth/me", nil)
	req.RemoteAddr = "127.0.0.1:1234"
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkTokenValidation is the part of BenchmarkGetMe that an
// unauthenticated route does not pay: parsing and verifying the JWT and
// checking the account in the in-memory directory.
func BenchmarkTokenValidation(b *testing.B) {
	srv := apitest.Start(b, nil)
	token := srv.StaffToken(b, identity.RoleEditor)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := srv.App.Identity.AuthenticateStaff(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetPage is a cached published page through the whole chain;
// scripts/bench/pages.sh measures it over TCP.
func BenchmarkGetPage(b *testing.B) {
	benchmarkGet(b, "/v1/pages/about-us", "", http.StatusOK)
}

// BenchmarkGetPageNotModified is the revalidation of a cached page.
func BenchmarkGetPageNotModified(b *testing.B) {
	benchmarkGet(b, "/v1/pages/about-us", "etag", http.StatusNotModified)
}

func benchmarkGet(b *testing.B, path, ifNoneMatch string, want int) {
	srv := apitest.Start(b, nil)
	h := srv.App.Handler()
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "127.0.0.1:1234"
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", srv.Get(path).Header.Get("ETag"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkBeacon is one page-view beacon through the whole chain, from a
// different visitor each time; scripts/bench/visits-ingest.sh measures
// over TCP.
func BenchmarkBeacon(b *testing.B) {
	srv := apitest.Start(b, map[string]string{"HPA_VISITS_HOSTNAMES": "www.example.org", "HPA_TRUSTED_PROXIES": "127.0.0.1",
		"HPA_VISITS_BUFFER_SIZE": "10000000", "HPA_VISITS_VISITOR_RATE_LIMIT": "1000000"})
	h := srv.App.Handler()
	body := []byte(`{"name":"pageview","url":"https://www.example.org/about","referrer":"https://www.google.com/","screen_width":1280}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/v1/events", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36")
		req.Header.Set("X-Forwarded-For", "10.1."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkBatch is one 500-event batch through the whole chain (the
// writer runs alongside, as in production).
func BenchmarkBatch(b *testing.B) {
	srv := apitest.Start(b, map[string]string{"HPA_VISITS_HOSTNAMES": "www.example.org",
		"HPA_VISITS_BUFFER_SIZE": "10000000", "HPA_VISITS_VISITOR_RATE_LIMIT": "1000000"})
	h := srv.App.Handler()
	var events []string
	for i := range 500 {
		events = append(events, `{"url":"https://www.example.org/page-`+strconv.Itoa(i%50)+`","ip":"10.1.`+strconv.Itoa(i%250)+`.`+strconv.Itoa(i%7+1)+
			`","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}`)
	}
	body := []byte(`{"events":[` + strings.Join(events, ",") + `]}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/v1/events/batch", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
