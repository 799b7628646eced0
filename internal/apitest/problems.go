package apitest

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/api"
)

// operationFor finds the operation of the contract serving a request, or
// nil for routes outside it.
func operationFor(req *http.Request) *huma.Operation {
	routesOnce.Do(func() {
		for path, item := range api.New(api.Options{}, api.Services{}).OpenAPI().Paths {
			pattern := regexp.MustCompile(`^` + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + `$`)
			routes = append(routes, route{pattern, path, item})
		}
		// Literal segments win over parameters: /v1/pages/search before /v1/pages/{slug}.
		sort.Slice(routes, func(i, j int) bool { return strings.Count(routes[i].path, "{") < strings.Count(routes[j].path, "{") })
	})
	for _, r := range routes {
		if !r.pattern.MatchString(req.URL.Path) {
			continue
		}
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			return r.item.Get
		case http.MethodPost:
			return r.item.Post
		case http.MethodPut:
			return r.item.Put
		case http.MethodPatch:
			return r.item.Patch
		case http.MethodDelete:
			return r.item.Delete
		}
	}
	return nil
}

type route struct {
	pattern *regexp.Regexp
	path    string
	item    *huma.PathItem
}

var (
	routesOnce sync.Once
	routes     []route
	recordMu   sync.Mutex
)

// checkProblemCode fails the test when a problem's code is not one its
// operation documents for that status, saying where to declare it. Every
// test that calls the API through Do takes part, so the codes the suite
// meets are checked across the whole suite. HPA_RECORD_PROBLEMS names a
// file to append each operation, status and code met to.
func checkProblemCode(t interface {
	Helper()
	Errorf(string, ...any)
}, req *http.Request, r *Response) {
	t.Helper()
	if r.Header.Get("Content-Type") != "application/problem+json" {
		return
	}
	var p struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(r.Body, &p) != nil {
		return
	}
	op := operationFor(req)
	if op == nil {
		return
	}
	if file := os.Getenv("HPA_RECORD_PROBLEMS"); file != "" {
		recordMu.Lock()
		if f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_, _ = f.WriteString(op.OperationID + " " + r.Status[:3] + " " + p.Code + "\n")
			_ = f.Close()
		}
		recordMu.Unlock()
	}
	for _, code := range api.ProblemCodes(op, r.StatusCode) {
		if code == p.Code {
			return
		}
	}
	t.Errorf("%s %s (operation %s) answered %d with code %q, which the operation does not document: "+
		"declare it for the operation in api/problems.go (or fix the handler)", req.Method, req.URL.Path, op.OperationID, r.StatusCode, p.Code)
}
