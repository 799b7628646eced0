package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
)

// operation is one operation in the contract.
type operation struct {
	method, path string
	op           *huma.Operation
}

// operations lists every operation in the contract.
func operations() []operation {
	var out []operation
	for path, item := range api.New(api.Options{}, api.Services{}).OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil {
				out = append(out, operation{method, path, op})
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
// Each operation is called anonymously and, unless it is public, by a
// caller its policy admits, so the input reaches the handler rather than
// stopping at a 401.
func TestBadInputNeverBreaksAnOperation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, unlimited)
	registry := api.New(api.Options{}, api.Services{}).OpenAPI().Components.Schemas
	check := func(t *testing.T, req apitest.Request) int {
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
		return r.StatusCode
	}
	for _, o := range operationsErasureLast() {
		t.Run(o.op.OperationID, func(t *testing.T) {
			paths := []string{o.path}
			if pathParam.MatchString(o.path) {
				paths = nil
				for _, v := range evilPathValues {
					paths = append(paths, pathParam.ReplaceAllString(o.path, v))
				}
			}
			for _, c := range callersOf(t, srv, o.op) {
				// The allowed caller's answers: each must come from the
				// operation's input handling, not from its access policy.
				var reached reachedInput
				as := func(req apitest.Request) apitest.Request {
					req.Token, req.APIKey = c.Token, c.APIKey
					if endsItsCaller[o.op.OperationID] && !c.Anonymous() {
						fresh := srv.NewCallerFor(t, o.op.Security)
						req.Token, req.APIKey = fresh.Token, fresh.APIKey
					}
					return req
				}
				for _, p := range paths {
					for _, q := range append([]string{""}, evilQueries...) {
						reached.add("path and query", check(t, as(apitest.Request{Method: o.method, Path: p + q})))
					}
					reached.add("headers", check(t, as(apitest.Request{Method: o.method, Path: p, Header: http.Header{
						"If-None-Match": {"\xff\xfe"}, "If-Match": {`W/"x", *`}, "Accept": {"text/html"},
					}})))
					if o.op.RequestBody != nil {
						for _, b := range evilBodies {
							reached.add("body: "+b.name, check(t, as(apitest.Request{Method: o.method, Path: p, Body: b.body, Header: http.Header{"Content-Type": {b.contentType}}})))
						}
						if content := o.op.RequestBody.Content["application/json"]; content != nil {
							reached.add("body: mistyped items", check(t, as(apitest.Request{Method: o.method, Path: p, Body: mistypedItems(registry, content.Schema, 0),
								Header: http.Header{"Content-Type": {"application/json"}}})))
						}
					}
				}
				if !c.Anonymous() { // an anonymous 401 from a public operation is its own answer (wrong password)
					for _, what := range reached.onlyDenied() {
						t.Errorf("as %s, every request with hostile %s was answered 401 or 403: its input handling was never reached", c.Name, what)
					}
				}
			}
		})
	}
}

// endsItsCaller lists the operations whose success ends the credentials
// they were called with: each hostile request gets new ones, so every one
// reaches the operation rather than a 401 for the caller it already ended.
var endsItsCaller = map[string]bool{"erase-my-data": true}

// reachedInput records, per kind of hostile input, whether any request
// carrying it got past authorisation (an answer other than 401 or 403).
type reachedInput struct {
	order   []string
	reached map[string]bool
}

func (r *reachedInput) add(what string, status int) {
	if r.reached == nil {
		r.reached = map[string]bool{}
	}
	if _, ok := r.reached[what]; !ok {
		r.order = append(r.order, what)
	}
	r.reached[what] = r.reached[what] || (status != http.StatusUnauthorized && status != http.StatusForbidden)
}

// onlyDenied lists the kinds of input every request carrying was denied.
func (r *reachedInput) onlyDenied() []string {
	var out []string
	for _, what := range r.order {
		if !r.reached[what] {
			out = append(out, what)
		}
	}
	return out
}

// unlimited lifts the per-address limits on sign-ins, signups and
// enquiries: these tests send all of them many times from one address.
var unlimited = map[string]string{"HPA_LOGIN_RATE_LIMIT": "100000", "HPA_SIGNUP_RATE_LIMIT": "100000", "HPA_ENQUIRY_RATE_LIMIT": "100000"}

// operationsErasureLast is every operation, with the member erasing
// their data last: it ends the member token the others are called with.
func operationsErasureLast() []operation {
	ops := operations()
	sort.SliceStable(ops, func(i, j int) bool {
		return ops[i].op.OperationID != "erase-my-data" && ops[j].op.OperationID == "erase-my-data"
	})
	return ops
}

// callersOf is the anonymous caller and, unless the operation is public,
// one its policy admits.
func callersOf(t *testing.T, srv *apitest.Server, op *huma.Operation) []apitest.Caller {
	cs := []apitest.Caller{{Name: "anonymous"}}
	if c := srv.CallerFor(t, op.Security); !c.Anonymous() {
		cs = append(cs, c)
	}
	return cs
}

// unstorableText is text PostgreSQL refuses to keep in a text or jsonb
// column: a NUL character, and bytes that are not UTF-8 (a stray byte, a
// truncated sequence, an encoded UTF-16 surrogate, an over-long encoding).
var unstorableText = []struct {
	name string
	raw  string // the value as it arrives, once decoded from its encoding
	json string // the value as JSON string contents
	url  string // the value percent-encoded
}{
	{"NUL", "a\x00b", `a\u0000b`, "a%00b"},
	{"stray byte", "a\xffb", "a\xffb", "a%FFb"},
	{"truncated sequence", "a\xe2\x82", "a\xe2\x82", "a%E2%82"},
	{"surrogate", "a\xed\xa0\x80b", "a\xed\xa0\x80b", "a%ED%A0%80b"},
	{"over-long", "a\xc0\xafb", "a\xc0\xafb", "a%C0%AFb"},
}

// Text the database cannot store is refused wherever an operation reads
// it (path, query, header, every string in a JSON body, at any depth, map
// keys too, a CSV or text body) with one 422 naming where it was, before
// anything is stored: never a 500 (which partners are told to retry) and
// never an acknowledgement of work that will fail later.
func TestUnstorableTextIsRefusedWhereverItIsSent(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, unlimited)
	registry := api.New(api.Options{}, api.Services{}).OpenAPI().Components.Schemas
	for _, o := range operationsErasureLast() {
		t.Run(o.op.OperationID, func(t *testing.T) {
			allowed := srv.CallerFor(t, o.op.Security)
			for _, c := range callersOf(t, srv, o.op) {
				for _, bad := range unstorableText {
					for _, in := range unstorableInputs(o, registry, bad.json, bad.url, bad.raw) {
						req := in.req
						req.Token, req.APIKey = c.Token, c.APIKey
						r := srv.Do(req)
						if r.StatusCode >= 500 {
							t.Fatalf("%s as %s, %s in %s: %d %s", o.op.OperationID, c.Name, bad.name, in.location, r.StatusCode, r.Body)
						}
						if c != allowed || in.kept {
							continue // a 401 (anonymous on a protected operation) or a kept signed body: checked above not to be a 5xx
						}
						p := r.Problem(t)
						if r.StatusCode != 422 || p.Code != "invalid-text" || len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Location, in.location) {
							t.Errorf("%s as %s, %s in %s: %d %s, want 422 invalid-text at %s", o.op.OperationID, c.Name, bad.name, in.location, r.StatusCode, r.Body, in.location)
						}
					}
				}
			}
		})
	}
}

type unstorableInput struct {
	location string
	req      apitest.Request
	kept     bool // a signed body, whose text is made storable rather than refused, or a binary one
}

// unstorableInputs puts text into each place the operation reads: each
// path, query and header parameter in turn, then every string of a body
// shaped like the operation's.
func unstorableInputs(o operation, registry huma.Registry, jsonText, urlText, raw string) []unstorableInput {
	path := pathParam.ReplaceAllString(o.path, "00000000-0000-0000-0000-000000000000")
	var out []unstorableInput
	for _, p := range o.op.Parameters {
		req := apitest.Request{Method: o.method, Path: path}
		switch p.In {
		case "path":
			req.Path = strings.Replace(o.path, "{"+p.Name+"}", urlText, 1)
			req.Path = pathParam.ReplaceAllString(req.Path, "00000000-0000-0000-0000-000000000000")
		case "query":
			req.Path += "?" + url.QueryEscape(p.Name) + "=" + urlText
		case "header":
			if strings.Contains(raw, "\x00") {
				continue // HTTP itself refuses control characters in headers
			}
			req.Header = http.Header{http.CanonicalHeaderKey(p.Name): {raw}}
		default:
			continue
		}
		out = append(out, unstorableInput{location: p.In + "." + p.Name, req: req})
	}
	if o.op.RequestBody == nil {
		return out
	}
	kept, _ := o.op.Metadata[api.SignedBodyKey].(bool)
	for mediaType, content := range o.op.RequestBody.Content {
		switch mediaType {
		case "application/json", "text/plain":
			body := shapedJSON(registry, content.Schema, jsonText, 0)
			if !strings.Contains(body, jsonText) {
				continue // a body of numbers and booleans only
			}
			out = append(out, unstorableInput{location: "body", kept: kept, req: apitest.Request{Method: o.method, Path: path, Body: body,
				Header: http.Header{"Content-Type": {mediaType}}}})
		default:
			// A binary body (a zip) is not text: only checked not to fail.
			binary := content.Schema != nil && content.Schema.Format == "binary"
			out = append(out, unstorableInput{location: "body", kept: kept || binary, req: apitest.Request{Method: o.method, Path: path,
				Body: "email,name\nsam@example.org,Sam " + raw + "\n", Header: http.Header{"Content-Type": {mediaType}}}})
		}
	}
	return out
}

// mistypedItems is a JSON document shaped like schema in which every
// array holds equal objects where other values belong: a unique-items
// check must refuse it, not fail on it.
func mistypedItems(registry huma.Registry, s *huma.Schema, depth int) string {
	if s != nil && s.Ref != "" {
		s = registry.SchemaFromRef(s.Ref)
	}
	if s == nil || depth > 8 {
		return `"x"`
	}
	switch s.Type {
	case "object":
		var fields []string
		for name, p := range s.Properties {
			fields = append(fields, strconv.Quote(name)+":"+mistypedItems(registry, p, depth+1))
		}
		sort.Strings(fields)
		return "{" + strings.Join(fields, ",") + "}"
	case "array":
		return `[{}, {}]`
	case "integer", "number":
		return "1"
	case "boolean":
		return "true"
	}
	return `"x"`
}

// shapedJSON is a JSON document shaped like schema in which every string,
// and every key of a free-form object, is text (already JSON-escaped).
func shapedJSON(registry huma.Registry, s *huma.Schema, text string, depth int) string {
	if s != nil && s.Ref != "" {
		s = registry.SchemaFromRef(s.Ref)
	}
	if s == nil || depth > 8 {
		return `"` + text + `"`
	}
	switch s.Type {
	case "object":
		var fields []string
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fields = append(fields, strconv.Quote(name)+":"+shapedJSON(registry, s.Properties[name], text, depth+1))
		}
		if extra, ok := s.AdditionalProperties.(*huma.Schema); ok {
			fields = append(fields, `"`+text+`":`+shapedJSON(registry, extra, text, depth+1))
		}
		return "{" + strings.Join(fields, ",") + "}"
	case "array":
		return "[" + shapedJSON(registry, s.Items, text, depth+1) + "]"
	case "integer", "number":
		return "1"
	case "boolean":
		return "true"
	}
	return `"` + text + `"`
}
