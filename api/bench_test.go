package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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
