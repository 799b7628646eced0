package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// The codes of query strings refused as a whole (see refuseUnknownParameters).
const (
	reasonUnknownParameter  = "unknown-parameter"
	reasonRepeatedParameter = "repeated-parameter"
)

// anyQueryKey marks, in an operation's metadata, an operation that
// ignores query parameters it does not declare, rather than refusing
// them: a URL HPA hands to another system, which calls it without a
// person reading the answer, where a refusal would lose something that
// matters and an ignored parameter changes nothing (Stripe's webhook
// endpoint, mail clients' one-click unsubscribe).
const anyQueryKey = "hpa-any-query"

// withheldParamsKey holds, in an operation's metadata, why it does not
// take a parameter a related operation does (a map from name to reason),
// for a clearer refusal than "not a parameter".
const withheldParamsKey = "hpa-withheld-params"

// refuseUnknownParameters is the one place a query string is checked as
// a whole, for every operation: huma binds the parameters an operation
// declares and would ignore any other, so a misspelt or inapplicable one
// (?perod=7d, ?filter=) would get a 200 with figures nobody asked for.
// It answers 400 unknown-parameter naming each parameter the operation
// does not declare (query.NAME, with the accepted names and the closest
// one), 400 repeated-parameter for a declared one given more than once
// (huma would read the first), and 400 bad-request for a query string
// that is not URL-encoded (Go would drop the pair). An empty value is the
// same as leaving the parameter out, as a form sends an empty field.
// A write also refuses, as unknown-parameter, a header asking for a
// guarantee it does not give (see promiseHeaders).
//
// It runs before authorize: the answer only repeats what the public
// contract says about the operation, and a caller learns of a mistake
// in the URL at once rather than after fixing their credentials.
func refuseUnknownParameters(hapi huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		raw := ctx.URL().RawQuery
		if ignores, _ := op.Metadata[anyQueryKey].(bool); ignores {
			next(ctx)
			return
		}
		if p := queryProblem(op, raw, ctx.Method(), ctx.Header); p != nil {
			_ = huma.WriteErr(hapi, ctx, p.status, p.Detail, p)
			return
		}
		next(ctx)
	}
}

// queryProblem is what is wrong with raw as op's query string, or with
// the promises a write's headers ask for, or nil.
func queryProblem(op *huma.Operation, raw, method string, header func(string) string) *Problem {
	if raw == "" {
		return headerProblem(op, method, header)
	}
	query, err := url.ParseQuery(raw)
	if err != nil {
		p := newProblem(http.StatusBadRequest, "", "the query string is not URL-encoded: encode each name and value (% as %25, ; as %3B)")
		p.Errors = []ProblemField{{Location: "query", Message: err.Error()}}
		return p
	}
	declared := queryParams(op)
	withheld, _ := op.Metadata[withheldParamsKey].(map[string]string)
	var unknown, repeated []string
	for name, values := range query {
		switch {
		case !slices.Contains(declared, name):
			unknown = append(unknown, name)
		case len(values) > 1:
			repeated = append(repeated, name)
		}
	}
	slices.Sort(unknown)
	slices.Sort(repeated)
	if len(unknown) > 0 {
		shown := make([]string, 0, len(unknown))
		p := newProblem(http.StatusBadRequest, reasonUnknownParameter, "")
		for _, name := range unknown[:min(len(unknown), maxShownParams)] {
			shown = append(shown, printable(name))
			p.Errors = append(p.Errors, ProblemField{Location: "query." + printable(name), Message: unknownMessage(name, declared, withheld[name])})
		}
		p.Detail = "this operation does not take the query parameter " + strings.Join(shown, ", ") + ": see errors"
		return p
	}
	if len(repeated) > 0 {
		p := newProblem(http.StatusBadRequest, reasonRepeatedParameter, "a query parameter is given more than once: see errors")
		for _, name := range repeated[:min(len(repeated), maxShownParams)] {
			p.Errors = append(p.Errors, ProblemField{Location: "query." + name, Message: fmt.Sprintf("is given %d times: give it once", len(query[name]))})
		}
		return p
	}
	return headerProblem(op, method, header)
}

// promiseHeaders are request headers that ask a write for a guarantee:
// a write that does not declare one would ignore it, and the caller would
// believe a colleague's edit could not be overwritten (If-Match) or a
// retry could not act twice (Idempotency-Key). Browsers and proxies never
// add them; headers in general are not checked, as proxies add their own.
var promiseHeaders = []string{"If-Match", "If-Unmodified-Since", "Idempotency-Key"}

// headerProblem refuses a promise header sent to a write that does not
// declare it, as unknown-parameter at header.NAME.
func headerProblem(op *huma.Operation, method string, header func(string) string) *Problem {
	if method == http.MethodGet || method == http.MethodHead {
		return nil
	}
	var p *Problem
	for _, name := range promiseHeaders {
		if header(name) == "" || slices.ContainsFunc(op.Parameters, func(d *huma.Param) bool { return d.In == "header" && strings.EqualFold(d.Name, name) }) {
			continue
		}
		if p == nil {
			p = newProblem(http.StatusBadRequest, reasonUnknownParameter, "this operation does not take the header "+name+": see errors")
		}
		p.Errors = append(p.Errors, ProblemField{Location: "header." + name,
			Message: "is not checked by this operation, so it could not promise what the header asks; send the request without it"})
	}
	return p
}

// exampleTypo is a slip for one of declared, for the contract's example
// of an unknown-parameter refusal: the first name with a letter left out.
func exampleTypo(declared []string) string {
	for _, name := range declared {
		if typo := name[:len(name)/2] + name[len(name)/2+1:]; len(name) >= 4 && !slices.Contains(declared, typo) {
			return typo
		}
	}
	return "filter"
}

// queryParams are the names of op's query parameters, sorted.
func queryParams(op *huma.Operation) []string {
	var names []string
	for _, p := range op.Parameters {
		if p.In == "query" {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

// unknownMessage says why name is refused and what the operation takes.
func unknownMessage(name string, declared []string, withheld string) string {
	var b strings.Builder
	if withheld != "" {
		b.WriteString(withheld)
	} else {
		b.WriteString("is not a parameter of this operation")
		if close := closest(name, declared); close != "" {
			b.WriteString(": did you mean " + close + "?")
		} else {
			b.WriteString(".")
		}
	}
	if len(declared) == 0 {
		b.WriteString(" It takes no query parameters.")
	} else {
		b.WriteString(" It takes: " + strings.Join(declared, ", ") + ".")
	}
	return b.String()
}

// closest is the declared name name is most likely a slip for (a typo,
// another case, - for _, a plural), or "" when none is close enough.
func closest(name string, declared []string) string {
	best, bestDistance := "", 3
	for _, d := range declared {
		distance := editDistance(strings.ToLower(name), strings.ToLower(d))
		if distance < bestDistance && distance*3 <= utf8.RuneCountInString(d) {
			best, bestDistance = d, distance
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// printable is name as it can be shown in a location: itself, unless it
// holds bytes that are not UTF-8 or control characters, then quoted; cut
// to maxShownName bytes.
func printable(name string) string {
	if len(name) > maxShownName {
		name = strings.ToValidUTF8(name[:maxShownName], "") + "…"
	}
	if strconv.CanBackquote(name) {
		return name
	}
	return strings.Trim(strconv.QuoteToASCII(name), `"`)
}

// maxShownName and maxShownParams bound what a refusal repeats of a
// hostile query string.
const (
	maxShownName   = 100
	maxShownParams = 10
)
