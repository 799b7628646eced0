package api_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// ignoresUnknownParameters are the operations that ignore query
// parameters they do not declare (api/queryparams.go, anyQueryKey): URLs
// other systems are given, where a refusal would lose a payment's record
// or an unsubscribe.
var ignoresUnknownParameters = map[string]bool{"receive-stripe-webhook": true, "unsubscribe": true}

// Every operation in the contract refuses a query parameter it does not
// declare with 400 unknown-parameter, naming it, instead of answering as
// if it were absent. The check comes before authorisation, so an
// anonymous caller meets it as well as one the operation's policy
// admits (who, were the check missing, would reach the operation).
func TestEveryOperationRefusesAnUnknownQueryParameter(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, unlimited)
	for _, o := range operationsErasureLast() {
		path := pathParam.ReplaceAllString(o.path, uuid.NewString()) + "?zz_not_a_parameter=1"
		callers := []apitest.Caller{{Name: "anonymous"}}
		if len(o.op.Security) > 0 {
			callers = append(callers, srv.CallerFor(t, o.op.Security))
		}
		for _, c := range callers {
			r := srv.Do(apitest.Request{Method: o.method, Path: path, Token: c.Token, APIKey: c.APIKey})
			var code, location, message string
			if r.StatusCode >= 400 {
				p := r.Problem(t)
				code = p.Code
				if len(p.Errors) == 1 {
					location, message = p.Errors[0].Location, p.Errors[0].Message
				}
			}
			switch {
			case ignoresUnknownParameters[o.op.OperationID]:
				if code == "unknown-parameter" {
					t.Errorf("%s %s as %s: refused an unknown parameter it should ignore: %s", o.method, path, c.Name, r.Body)
				}
			case r.StatusCode != 400 || code != "unknown-parameter" || location != "query.zz_not_a_parameter" || !strings.Contains(message, "It takes"):
				t.Errorf("%s %s as %s: %d %s, want 400 unknown-parameter at query.zz_not_a_parameter saying what it takes",
					o.method, path, c.Name, r.StatusCode, r.Body)
			}
		}
	}
}

// A script writer's slips are refused with what to send instead, and
// what the operation declares still works.
func TestUnknownQueryParametersAreNamed(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, unlimited)
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	refused := func(path, wantCode, wantLocation string, wantInMessage ...string) {
		t.Helper()
		r := srv.Do(apitest.Request{Path: path, APIKey: key})
		if r.StatusCode != 400 {
			t.Errorf("%s: %d %s, want 400 %s", path, r.StatusCode, r.Body, wantCode)
			return
		}
		p := r.Problem(t)
		if p.Code != wantCode || len(p.Errors) == 0 || p.Errors[0].Location != wantLocation {
			t.Errorf("%s: %s, want %s at %s", path, r.Body, wantCode, wantLocation)
			return
		}
		for _, want := range wantInMessage {
			if !strings.Contains(p.Errors[0].Message, want) {
				t.Errorf("%s: message %q does not say %q", path, p.Errors[0].Message, want)
			}
		}
	}
	accepted := func(path string) {
		t.Helper()
		if r := srv.Do(apitest.Request{Path: path, APIKey: key}); r.StatusCode != 200 {
			t.Errorf("%s: %d %s, want 200", path, r.StatusCode, r.Body)
		}
	}

	// Typos, another case, a name another operation takes.
	refused("/v1/stats/summary?perod=7d", "unknown-parameter", "query.perod", "did you mean period?", "It takes: compare, compare_from, compare_to, from, include, period, to.")
	refused("/v1/stats/summary?Period=7d", "unknown-parameter", "query.Period", "did you mean period?")
	refused("/v1/stats/summary?period=7d&filter="+url.QueryEscape(`[{"dimension":"source","operator":"is","values":["Google"]}]`),
		"unknown-parameter", "query.filter", "is not a parameter of this operation. It takes:")
	refused("/v1/stats/breakdown/page?order=pageviews&limt=5", "unknown-parameter", "query.limt", "did you mean limit?")
	refused("/v1/stats/realtime?period=7d", "unknown-parameter", "query.period", "It takes no query parameters.")
	// A declared parameter given twice (huma would read the first), a
	// query string Go would drop a pair of.
	refused("/v1/stats/summary?period=7d&period=30d", "repeated-parameter", "query.period", "is given 2 times")
	refused("/v1/stats/summary?period=%zz", "bad-request", "query", "invalid URL escape")

	// The rest of the class was already refused, by huma's validation of
	// what is declared: an enum value in another case, a number out of
	// range, a flag that is not one; a path ID of the wrong form is 404.
	for path, location := range map[string]string{
		"/v1/stats/summary?period=7D":                 "query.period",
		"/v1/stats/breakdown/page?limit=0":            "query.limit",
		"/v1/stats/breakdown/page?limit=100000":       "query.limit",
		"/v1/stats/breakdown/page?all=yes":            "query.all",
		"/v1/stats/breakdown/Page":                    "path.dimension",
		"/v1/stats/timeseries?interval=Day&period=7d": "query.interval",
	} {
		r := srv.Do(apitest.Request{Path: path, APIKey: key})
		if p := r.Problem(t); r.StatusCode != 422 || len(p.Errors) == 0 || p.Errors[0].Location != location {
			t.Errorf("%s: %d %s, want 422 at %s", path, r.StatusCode, r.Body, location)
		}
	}
	if r := srv.Do(apitest.Request{Path: "/v1/stats/funnels/not-an-id/report", APIKey: key}); r.StatusCode != 404 {
		t.Errorf("a funnel ID of the wrong form: %d %s, want 404", r.StatusCode, r.Body)
	}

	// What the operations declare still works; empty is as absent.
	accepted("/v1/stats/summary?period=7d")
	accepted("/v1/stats/summary?period=7d&compare=previous_period&include=imports")
	accepted("/v1/stats/summary?period=&from=&to=")
	accepted("/v1/stats/breakdown/page?period=month&order_by=pageviews&limit=5&contains=%2F")
	accepted("/v1/stats/realtime")

	// The shared funnel does not take filters, and says why; the
	// staff's report of the same funnel does (its 404: no such funnel).
	funnel := uuid.NewString()
	filters := url.QueryEscape(`[{"dimension":"source","operator":"is","values":["Google"]}]`)
	r := srv.Do(apitest.Request{Path: "/v1/shared-stats/funnels/" + funnel + "?period=30d&filters=" + filters})
	if p := r.Problem(t); r.StatusCode != 400 || p.Code != "unknown-parameter" || len(p.Errors) != 1 || p.Errors[0].Location != "query.filters" ||
		!strings.Contains(p.Errors[0].Message, "not offered on a shared link") {
		t.Errorf("shared funnel with filters: %d %s, want 400 unknown-parameter explaining filters are not offered", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/stats/funnels/" + funnel + "/report?period=30d&filters=" + filters, APIKey: key}); r.StatusCode != 404 {
		t.Errorf("staff funnel report with filters: %d %s, want 404 (no such funnel)", r.StatusCode, r.Body)
	}

	// Stripe's webhook and the one-click unsubscribe ignore what they do
	// not read: a payment's record or an unsubscribe is never lost for it.
	if r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/webhooks/stripe?source=dashboard", Body: map[string]any{}}); !strings.HasPrefix(r.Problem(t).Code, "signature-") {
		t.Errorf("Stripe webhook with a parameter of its own: %d %s, want its signature checked (the parameter ignored)", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/unsubscribe?token=not-a-token&utm_source=mail"}); r.StatusCode == 400 {
		t.Errorf("unsubscribe with a parameter a mail relay added: %d %s, want the parameter ignored", r.StatusCode, r.Body)
	}
}

// documentedURL finds a URL of the API with a query string in prose or
// a script: its path and its query.
var documentedURL = regexp.MustCompile(`(/v1/[A-Za-z0-9_/{}$.-]+)\?([^\s'"` + "`" + `)<>]*)`)

// Every URL with a query string that the documentation, the scripts and
// the contract's own descriptions show uses only parameters its
// operation declares: a reader copying one must not meet a 400.
func TestDocumentedQueryStringsUseDeclaredParameters(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../docs/*.md")
	scripts, _ := filepath.Glob("../scripts/*/*.sh")
	files = append(append(files, scripts...), "../README.md", "../openapi/openapi.yaml")
	type route struct {
		pattern *regexp.Regexp
		params  map[string]bool
	}
	var routes []route
	paths := api.New(api.Options{}, api.Services{}).OpenAPI().Paths
	for path, item := range paths {
		params := map[string]bool{}
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			for _, p := range op.Parameters {
				if p.In == "query" {
					params[p.Name] = true
				}
			}
		}
		pattern := regexp.MustCompile(`^` + pathParam.ReplaceAllString(path, `[^/]+`) + `$`)
		routes = append(routes, route{pattern, params})
	}
	// Literal segments win over parameters: /v1/pages/all before /v1/pages/{slug}.
	sort.Slice(routes, func(i, j int) bool {
		return strings.Count(routes[i].pattern.String(), "[^/]+") < strings.Count(routes[j].pattern.String(), "[^/]+")
	})
	found := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range documentedURL.FindAllStringSubmatch(string(text), -1) {
			found++
			var params map[string]bool
			for _, r := range routes {
				if r.pattern.MatchString(m[1]) {
					params = r.params
					break
				}
			}
			if params == nil {
				t.Errorf("%s shows %s, which is no path of the contract", file, m[0])
				continue
			}
			for _, pair := range strings.Split(m[2], "&") {
				if name, _, _ := strings.Cut(pair, "="); name != "" && !params[name] {
					t.Errorf("%s shows %s, whose operation takes no parameter %q", file, m[0], name)
				}
			}
		}
	}
	if found < 40 {
		t.Errorf("found %d documented URLs with a query string; the pattern no longer finds them", found)
	}
}

// A write refuses a header asking for a guarantee it does not give,
// rather than leaving the caller to believe an edit cannot overwrite a
// colleague's (If-Match) or a retry cannot act twice (Idempotency-Key);
// a write that declares the header takes it.
func TestWritesRefuseGuaranteesTheyDoNotGive(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	for _, c := range []struct {
		method, path, header string
		body                 any
	}{
		{"PATCH", "/v1/staff/" + uuid.NewString(), "If-Match", map[string]any{"roles": []string{"editor"}}},
		{"POST", "/v1/organisations", "Idempotency-Key", map[string]any{"name": "Example Research Team"}},
		{"POST", "/v1/organisations", "If-Unmodified-Since", map[string]any{"name": "Example Research Team"}},
	} {
		r := srv.Do(apitest.Request{Method: c.method, Path: c.path, Token: admin, Body: c.body, Header: http.Header{c.header: {`"1"`}}})
		if p := r.Problem(t); r.StatusCode != 400 || p.Code != "unknown-parameter" || len(p.Errors) != 1 || p.Errors[0].Location != "header."+c.header {
			t.Errorf("%s %s with %s: %d %s, want 400 unknown-parameter at header.%s", c.method, c.path, c.header, r.StatusCode, r.Body, c.header)
		}
	}
	r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/members", Body: apitest.SignupBody("idem@example.org"), Header: http.Header{"Idempotency-Key": {"signup-1"}}})
	if r.StatusCode != 202 {
		t.Errorf("signup with the Idempotency-Key it declares: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/site", Header: http.Header{"If-Match": {"*"}}}); r.StatusCode != 200 {
		t.Errorf("a read with If-Match: %d %s, want 200 (reads are not checked)", r.StatusCode, r.Body)
	}
}
