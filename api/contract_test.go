package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
)

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

func TestEveryOperationIsFullyDescribed(t *testing.T) {
	t.Parallel()
	declared := map[string]bool{}
	for _, tag := range api.New(api.Options{}, api.Services{}).OpenAPI().Tags {
		declared[tag.Name] = tag.Description != ""
	}
	seen := map[string]bool{}
	for _, o := range operations() {
		op := o.op
		name := o.method + " " + o.path
		if !kebab.MatchString(op.OperationID) || seen[op.OperationID] {
			t.Errorf("%s: operationId %q is not unique kebab-case", name, op.OperationID)
		}
		seen[op.OperationID] = true
		if op.Summary == "" || len(op.Tags) == 0 || op.Description == "" {
			t.Errorf("%s: needs a summary, a tag and a description", name)
		}
		for _, tag := range op.Tags {
			if !declared[tag] {
				t.Errorf("%s: tag %q is not declared with a description in api/openapi.go", name, tag)
			}
		}
		if op.Security == nil {
			t.Errorf("%s: no security requirement declared", name)
		}
		for _, status := range []string{"429", "500"} {
			if op.Responses[status] == nil {
				t.Errorf("%s: %s response not documented", name, status)
			}
		}
		for status, resp := range op.Responses {
			if status[0] == '4' || status[0] == '5' {
				if resp.Content["application/problem+json"] == nil {
					t.Errorf("%s: %s response is not a problem document", name, status)
				}
			}
		}
	}
}

func TestSpecAndDocsAreServed(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	for path, ct := range map[string]string{
		"/openapi.json":     "application/json",
		"/openapi.yaml":     "application/yaml",
		"/openapi-3.0.json": "application/json",
	} {
		r := srv.Do(apitest.Request{Path: path, NoCheck: true})
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != ct || len(r.Body) < 1000 {
			t.Errorf("%s: %d %q %d bytes", path, r.StatusCode, r.Header.Get("Content-Type"), len(r.Body))
		}
	}
	// The 3.0 document is one a 3.0 tool can read: OpenAPI 3.0 has no
	// top-level webhooks (the partner webhooks are in the 3.1 contract).
	var spec30 map[string]any
	srv.Do(apitest.Request{Path: "/openapi-3.0.json", NoCheck: true}).JSON(t, &spec30)
	if v, _ := spec30["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("/openapi-3.0.json is OpenAPI %q", v)
	}
	if _, ok := spec30["webhooks"]; ok {
		t.Errorf("/openapi-3.0.json has a webhooks section, which OpenAPI 3.0 does not allow")
	}
	docs := srv.Do(apitest.Request{Path: "/docs", NoCheck: true})
	page := string(docs.Body)
	if docs.StatusCode != 200 || !strings.HasPrefix(docs.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %q", docs.StatusCode, docs.Header.Get("Content-Type"))
	}
	if csp := docs.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http") {
		t.Errorf("docs CSP = %q", csp)
	}
	// Self-contained: no scripts, nothing fetched from another host.
	for _, banned := range []string{"<script", `src="http`, `href="http://`, "cdn", "unpkg", "jsdelivr"} {
		if strings.Contains(strings.ToLower(page), banned) {
			t.Errorf("docs page contains %q", banned)
		}
	}
	for _, o := range operations() {
		if !strings.Contains(page, `id="op-`+o.op.OperationID+`"`) {
			t.Errorf("docs page lacks operation %s", o.op.OperationID)
		}
	}
	// Each operation's error responses show their codes and an example
	// of their own, not one 422 for all.
	signup := page[strings.Index(page, `id="op-create-member"`):]
	signup = signup[:strings.Index(signup[1:], `id="op-`)+1]
	for _, want := range []string{"consent-required", "idempotency-key-in-use", "urn:hpa:problem:consent-required"} {
		if !strings.Contains(signup, want) {
			t.Errorf("docs for create-member do not show %s", want)
		}
	}
	css := srv.Do(apitest.Request{Path: "/docs/docs.css", NoCheck: true})
	if css.StatusCode != 200 || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Errorf("docs.css: %d", css.StatusCode)
	}
	etag := docs.Header.Get("ETag")
	if r := srv.Do(apitest.Request{Path: "/docs", NoCheck: true, Header: http.Header{"If-None-Match": {etag}}}); r.StatusCode != 304 {
		t.Errorf("/docs revalidation: %d", r.StatusCode)
	}
}

// The contract declares only what the server sends: no base64 "string"
// body beside an operation's real one (which made generated types
// string | T), request bodies only of the media types the server reads, a
// replay's Idempotent-Replayed header on every success of an operation
// that takes an Idempotency-Key, and ETag on every 304.
func TestResponsesAreOnlyWhatTheServerSends(t *testing.T) {
	t.Parallel()
	for _, o := range operations() {
		name := o.method + " " + o.path
		idempotent := false
		for _, p := range o.op.Parameters {
			idempotent = idempotent || p.Name == "Idempotency-Key"
		}
		if rb := o.op.RequestBody; rb != nil && rb.Content["application/octet-stream"] != nil {
			t.Errorf("%s: accepts application/octet-stream, which the server answers with 415", name)
		}
		for status, resp := range o.op.Responses {
			for ct, media := range resp.Content {
				if media.Schema != nil && media.Schema.ContentEncoding == "base64" && strings.HasSuffix(ct, "json") {
					t.Errorf("%s: %s declares a base64 string body the server never sends", name, status)
				}
			}
			if status == "304" && resp.Headers["ETag"] == nil {
				t.Errorf("%s: 304 does not declare ETag", name)
			}
			if idempotent && status[0] == '2' && resp.Headers["Idempotent-Replayed"] == nil {
				t.Errorf("%s: %s does not declare Idempotent-Replayed", name, status)
			}
		}
	}
}
