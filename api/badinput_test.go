package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
)

// operations lists every operation in the contract.
func operations() []struct {
	method, path string
	op           *huma.Operation
} {
	var out []struct {
		method, path string
		op           *huma.Operation
	}
	for path, item := range api.New(api.Options{}, api.Services{}).OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil {
				out = append(out, struct {
					method, path string
					op           *huma.Operation
				}{method, path, op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// Hostile values for path parameters: traversal, encoded separators,
// invalid UTF-8, NUL, absurd lengths.
var evilPathValues = []string{
	"..", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%2F..%2F", "%00", "%ff%fe", "%C0%AE%C0%AE", strings.Repeat("a", 3000),
	"-1", "0", "99999999999999999999999", "00000000-0000-0000-0000-000000000000", "%20", "<script>",
}

var evilQueries = []string{
	"?%ff=%fe", "?limit=-1&cursor=%ff", "?limit=abc&cursor=..%2F..%2F", "?fields=%00", "?" + strings.Repeat("x=1&", 1500),
}

var evilBodies = []struct {
	name, contentType, body string
}{
	{"malformed JSON", "application/json", `{"a":`},
	{"not JSON at all", "application/json", `<xml/>`},
	{"wrong content type", "text/xml", `<a/>`},
	{"unknown fields", "application/json", `{"zz_unknown_field":1}`},
	{"array instead of object", "application/json", `[]`},
	{"string instead of object", "application/json", `"x"`},
	{"null", "application/json", `null`},
	{"empty", "application/json", ``},
	{"invalid UTF-8", "application/json", "{\"name\":\"\xff\xfe\"}"},
	{"deep nesting", "application/json", strings.Repeat("[", 100000) + strings.Repeat("]", 100000)},
	{"huge number", "application/json", `{"amount":1e999999}`},
}

// Every operation, fed hostile input, answers with a 4xx problem (or a
// success where the input is merely ignored): never a 5xx, never a hang.
func TestBadInputNeverBreaksAnOperation(t *testing.T) {
	srv := apitest.Start(t, nil)
	check := func(t *testing.T, req apitest.Request) {
		t.Helper()
		req.NoCheck = true // unmatched paths are outside the contract; checked below
		r := srv.Do(req)
		if r.StatusCode >= 500 {
			t.Errorf("%s %s → %d: %s", req.Method, req.Path, r.StatusCode, r.Body)
		}
		if r.StatusCode >= 400 {
			p := r.Problem(t)
			if p.Code == "" || p.Status != r.StatusCode {
				t.Errorf("%s %s → %d: problem %+v", req.Method, req.Path, r.StatusCode, p)
			}
		}
	}
	for _, o := range operations() {
		t.Run(o.op.OperationID, func(t *testing.T) {
			paths := []string{o.path}
			if pathParam.MatchString(o.path) {
				paths = nil
				for _, v := range evilPathValues {
					paths = append(paths, pathParam.ReplaceAllString(o.path, v))
				}
			}
			for _, p := range paths {
				for _, q := range append([]string{""}, evilQueries...) {
					check(t, apitest.Request{Method: o.method, Path: p + q})
				}
				check(t, apitest.Request{Method: o.method, Path: p, Header: http.Header{
					"If-None-Match": {"\xff\xfe"}, "If-Match": {`W/"x", *`}, "Accept": {"text/html"},
				}})
				if o.op.RequestBody != nil {
					for _, b := range evilBodies {
						check(t, apitest.Request{Method: o.method, Path: p, Body: b.body, Header: http.Header{"Content-Type": {b.contentType}}})
					}
				}
			}
		})
	}
}
