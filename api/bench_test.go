package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
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
