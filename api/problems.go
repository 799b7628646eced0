package api

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// problemStatuses is every problem code the API answers with and the
// statuses it comes with: the one list of codes. The contract's
// ProblemCode enumerates it; an operation may declare only codes listed
// here (register panics otherwise).
var problemStatuses = map[string][]int{
	// Any operation, by status (statusProblems).
	"bad-request": {400}, "unknown-parameter": {400}, "repeated-parameter": {400}, "unauthenticated": {401}, "credentials-required": {401}, "invalid-token": {401}, "invalid-api-key": {401},
	"forbidden": {403}, "insufficient-permissions": {403}, "origin-not-allowed": {403}, "not-found": {404},
	"conflict": {409}, "precondition-failed": {412}, "stale-version": {412}, "body-too-large": {413},
	"unsupported-media-type": {415}, "validation-failed": {422}, "invalid-text": {422}, "invalid-value": {422},
	"precondition-required": {428}, "rate-limited": {429}, "internal-error": {500},
	"unavailable": {503}, "database-unavailable": {503}, "shutting-down": {503}, "not-acceptable": {406},
	// Operations' own (operationProblems).
	"already-closed": {409}, "already-registered": {409}, "audience-key-taken": {409}, "claim-adjusted-later": {409},
	"claim-race": {409}, "claim-status": {409}, "collection-busy": {503}, "consent-required": {422},
	"consent-version-outdated": {422}, "declaration-already-cancelled": {409}, "declaration-covers-one-gift": {422},
	"declaration-not-oral": {409}, "delivery-pending": {409}, "donation-disputed": {409}, "donor-has-no-email": {409},
	"donor-merged": {404, 422}, "donors-linked-to-different-members": {409}, "email-taken": {409}, "endpoint-disabled": {409},
	"event-expired": {409}, "filtered-range-too-long": {422}, "form-sent-too-fast": {422}, "form-token-expired": {422},
	"form-token-invalid": {422}, "form-token-used": {422}, "gift-aid-declaration-incomplete": {422},
	"gift-aid-time-limit": {422}, "hostname-not-allowed": {422}, "hpa-contact-not-eligible": {422},
	"idempotency-key-in-use": {409}, "idempotency-key-reused": {422}, "invalid-credentials": {401},
	"invalid-donor-link": {401}, "invalid-gift": {422}, "invalid-invitation": {422}, "invalid-link": {422},
	"invalid-transition": {409}, "last-admin": {409}, "malformed-event": {400}, "name-taken": {409},
	"no-gifts-in-year": {409}, "no-stripe-customer": {404}, "not-editable": {409}, "not-published": {409},
	"not-yet-written": {503}, "nothing-to-claim": {409}, "page-in-use": {409}, "payment-not-settled": {409},
	"range-beyond-raw-events": {422}, "refund-exceeds-gift": {422}, "registration-closed": {409},
	"registration-not-offered": {409}, "salt-unavailable": {503}, "signature-expired": {400},
	"signature-invalid": {400}, "signature-malformed": {400}, "signature-missing": {400}, "slug-reserved": {422},
	"slug-taken": {409}, "small-donation-over-limit": {422}, "special-category-consent-required": {422},
	"stripe-not-configured": {503}, "stripe-api-version-unsupported": {503}, "stripe-refused-refund": {409}, "stripe-unavailable": {503},
	"timestamp-out-of-range": {422}, "too-many-dimensions": {422}, "unknown-campaign": {422}, "unknown-member": {422},
	"written-record-already-sent": {409}, "filter-too-complex": {422}, "invalid-pattern": {422}, "unknown-goal": {422},
	"goal-exists": {409}, "too-many-goals": {409}, "written-record-not-needed": {409}, "written-record-not-sent": {409},
	"wrong-password": {403}, "import-rejected": {422}, "import-not-deletable": {409},
	"funnel-exists": {409}, "too-many-funnels": {409},
}

// statusProblems are the codes any operation documenting a status may
// answer with it: they come from the layers every request passes
// (authentication, validation, the database).
var statusProblems = map[int][]string{
	400: {"unknown-parameter", "repeated-parameter", "bad-request"},
	401: {"unauthenticated", "credentials-required", "invalid-token", "invalid-api-key"},
	403: {"forbidden", "insufficient-permissions", "origin-not-allowed"},
	404: {"not-found"},
	409: {"conflict"},
	412: {"precondition-failed", "stale-version"},
	413: {"body-too-large"},
	415: {"unsupported-media-type"},
	422: {"validation-failed", "invalid-text", "invalid-value"},
	428: {"precondition-required"},
	429: {"rate-limited"},
	500: {"internal-error"},
	503: {"database-unavailable", "unavailable"},
}

// operationProblems are each operation's own codes, by operation ID.
// A test fails when a handler answers with a code its operation does not
// document (internal/apitest checks every problem the suite meets).
var operationProblems = map[string][]string{
	"accept-gift-aid-claim":          {"claim-status"},
	"accept-invitation":              {"invalid-invitation"},
	"cancel-gift-aid-declaration":    {"declaration-already-cancelled"},
	"cancel-my-gift-aid-declaration": {"declaration-already-cancelled"},
	"cancel-registration":            {"invalid-link"},
	"change-password":                {"wrong-password"},
	"confirm-member":                 {"invalid-link"},
	"create-audience":                {"audience-key-taken"},
	"create-campaign":                {"slug-taken"},
	"create-donation-checkout":       {"gift-aid-declaration-incomplete", "idempotency-key-in-use", "idempotency-key-reused", "invalid-gift", "stripe-not-configured", "stripe-unavailable", "unknown-campaign", "unknown-member"},
	"create-donor-portal-session":    {"invalid-donor-link", "no-stripe-customer", "stripe-not-configured", "stripe-unavailable"},
	"create-gift-aid-claim":          {"claim-race", "gift-aid-time-limit", "idempotency-key-in-use", "idempotency-key-reused", "nothing-to-claim"},
	"create-gift-aid-declaration":    {"donor-merged", "gift-aid-declaration-incomplete"},
	"create-member":                  {"consent-required", "consent-version-outdated", "idempotency-key-in-use", "idempotency-key-reused", "special-category-consent-required"},
	"create-opportunity":             {"hpa-contact-not-eligible"},
	"create-organisation":            {"name-taken"},
	"create-page":                    {"slug-reserved", "slug-taken"},
	"create-partner-member":          {"consent-required", "consent-version-outdated", "idempotency-key-in-use", "idempotency-key-reused", "special-category-consent-required"},
	"delete-page":                    {"page-in-use"},
	"get-donor":                      {"donor-merged"},
	"get-gift-aid-written-record":    {"written-record-not-sent"},
	"invite-staff":                   {"email-taken"},
	"login":                          {"invalid-credentials"},
	"member-sign-in":                 {"invalid-link"},
	"merge-donors":                   {"donor-merged", "donors-linked-to-different-members"},
	"preview-gift-aid-claim":         {"gift-aid-time-limit"},
	"publish-opportunity-outcome":    {"not-published"},
	"query-stats":                    statsQueryProblems,
	"query-stats-funnel":             statsQueryProblems,
	"get-stats-summary":              statsQueryProblems,
	"get-stats-timeseries":           statsQueryProblems,
	"get-stats-breakdown":            statsQueryProblems,
	"get-readiness":                  {"shutting-down"},
	"get-stats-realtime":             {"not-acceptable"},
	"export-stats":                   statsQueryProblems,
	"get-shared-stats":               shareProblems,
	"unlock-shared-stats":            append([]string{"wrong-password"}, shareProblems...),
	"get-shared-stats-summary":       sharedReportProblems,
	"get-shared-stats-timeseries":    sharedReportProblems,
	"get-shared-stats-breakdown":     sharedReportProblems,
	"create-stats-goal":              {"goal-exists", "too-many-goals"},
	"create-stats-funnel":            {"funnel-exists", "too-many-funnels"},
	"update-stats-funnel":            {"funnel-exists"},
	"get-stats-funnel-report":        statsQueryProblems,
	"get-shared-stats-funnel":        sharedReportProblems,
	"import-stats":                   {"import-rejected"},
	"delete-stats-import":            {"import-not-deletable"},
	"receive-stripe-webhook":         {"malformed-event", "signature-expired", "signature-invalid", "signature-malformed", "signature-missing", "stripe-api-version-unsupported", "stripe-unavailable"},
	"record-gift-aid-written-record": {"declaration-not-oral", "written-record-already-sent", "written-record-not-needed"},
	"record-offline-donation":        {"declaration-covers-one-gift", "donor-merged", "idempotency-key-in-use", "idempotency-key-reused", "unknown-campaign"},
	"record-small-donation":          {"idempotency-key-in-use", "idempotency-key-reused", "small-donation-over-limit", "unknown-campaign"},
	"redeliver-webhook":              {"delivery-pending", "endpoint-disabled", "event-expired"},
	"refund-donation":                {"donation-disputed", "idempotency-key-in-use", "idempotency-key-reused", "payment-not-settled", "refund-exceeds-gift", "stripe-not-configured", "stripe-refused-refund", "stripe-unavailable"},
	"register-for-opportunity":       {"already-registered", "registration-closed", "registration-not-offered", "special-category-consent-required"},
	"reject-gift-aid-claim":          {"claim-adjusted-later", "claim-status"},
	"report-opportunity-outcome":     {"not-published"},
	"report-partner-outcome":         {"not-published"},
	"request-my-donation-statement":  {"donor-has-no-email", "no-gifts-in-year"},
	"resubmit-gift-aid-claim":        {"claim-status", "nothing-to-claim"},
	"review-opportunity":             {"already-closed", "invalid-transition"},
	"send-donor-statement":           {"donor-has-no-email", "donor-merged", "no-gifts-in-year"},
	"send-event":                     {"collection-busy", "hostname-not-allowed", "salt-unavailable", "timestamp-out-of-range"},
	"send-events-batch":              {"collection-busy", "hostname-not-allowed", "not-yet-written", "salt-unavailable", "timestamp-out-of-range"},
	"send-webhook-test":              {"endpoint-disabled"},
	"submit-enquiry":                 {"form-sent-too-fast", "form-token-expired", "form-token-invalid", "form-token-used"},
	"submit-gift-aid-claim":          {"claim-status"},
	"unsubscribe":                    {"invalid-link"},
	"update-audience":                {"audience-key-taken"},
	"update-campaign":                {"slug-taken"},
	"update-my-membership":           {"special-category-consent-required"},
	"update-opportunity":             {"hpa-contact-not-eligible", "not-editable"},
	"update-page":                    {"slug-reserved", "slug-taken"},
	"update-partner-opportunity":     {"not-editable"},
	"update-staff":                   {"last-admin"},
	"void-gift-aid-claim":            {"claim-status"},
}

// statsQueryProblems are what any statistics report can refuse: a query
// too costly or too complex to count, or a format it cannot give.
var statsQueryProblems = []string{"filter-too-complex", "filtered-range-too-long", "invalid-pattern", "not-acceptable",
	"range-beyond-raw-events", "too-many-dimensions", "unknown-goal"}

// shareProblems are what a shared link that no longer works (revoked or
// expired) answers. The shared links use the codes every client already
// knows (a new code would widen the released contract's ProblemCode enum).
var shareProblems = []string{"forbidden"}

// sharedReportProblems are what a report read through a shared link can
// refuse: the link's own refusals (a password-protected link without its
// session, a session that no longer works, a report the link does not
// include), then the report's.
var sharedReportProblems = slices.Concat(shareProblems, []string{"credentials-required", "insufficient-permissions", "invalid-token"}, statsQueryProblems)

const problemsKey = "hpa-problems"

// declareProblems records op's codes by status in its metadata and makes
// sure op documents each status its own codes come with.
func declareProblems(op *huma.Operation) {
	byStatus := map[int][]string{}
	for _, code := range operationProblems[op.OperationID] {
		statuses, ok := problemStatuses[code]
		if !ok {
			panic(fmt.Sprintf("operation %s declares problem code %q, which api/problems.go does not list", op.OperationID, code))
		}
		for _, status := range statuses {
			byStatus[status] = append(byStatus[status], code)
			if !slices.Contains(op.Errors, status) {
				op.Errors = append(op.Errors, status)
			}
		}
	}
	op.Metadata[problemsKey] = byStatus
}

// ProblemCodes are the codes op documents for an error status.
func ProblemCodes(op *huma.Operation, status int) []string {
	own, _ := op.Metadata[problemsKey].(map[int][]string)
	codes := append(slices.Clone(statusProblems[status]), own[status]...)
	if ignores, _ := op.Metadata[anyQueryKey].(bool); ignores {
		codes = slices.DeleteFunc(codes, func(c string) bool { return c == reasonUnknownParameter || c == reasonRepeatedParameter })
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// documentProblems gives each of op's problem responses the codes it can
// carry: an enum narrowing Problem's code, and a list in its description.
func documentProblems(op *huma.Operation) {
	for key, resp := range op.Responses {
		status, err := strconv.Atoi(key)
		if err != nil || status < 400 || resp.Content["application/problem+json"] == nil {
			continue
		}
		codes := ProblemCodes(op, status)
		if len(codes) == 0 {
			continue
		}
		enum := make([]any, len(codes))
		quoted := make([]string, len(codes))
		for i, c := range codes {
			enum[i], quoted[i] = c, "`"+c+"`"
		}
		media := resp.Content["application/problem+json"]
		media.Example = problemExample(op, status, codes)
		media.Schema = &huma.Schema{AllOf: []*huma.Schema{
			{Ref: "#/components/schemas/Problem"},
			{Type: huma.TypeObject, Properties: map[string]*huma.Schema{"code": {Type: huma.TypeString, Enum: enum}}},
		}}
		if !strings.Contains(resp.Description, "Codes:") {
			resp.Description = strings.TrimSuffix(resp.Description, ".") + ". Codes: " + strings.Join(quoted, ", ") + "."
		}
	}
}

// documentProblemCodes makes Problem's code a named enum of every code.
func documentProblemCodes(oapi *huma.OpenAPI) {
	schemas := oapi.Components.Schemas.Map()
	problem := schemas["Problem"]
	if problem == nil {
		return
	}
	codes := make([]string, 0, len(problemStatuses))
	for c := range problemStatuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	enum := make([]any, len(codes))
	for i, c := range codes {
		enum[i] = c
	}
	schemas["ProblemCode"] = &huma.Schema{Type: huma.TypeString, Enum: enum,
		Description: "Every stable problem code. Each operation's error responses list the codes that operation answers with. Switch on the code, never on detail. A minor version may add codes: treat one you do not know by the response's HTTP status."}
	problem.Properties["code"] = &huma.Schema{Ref: "#/components/schemas/ProblemCode"}
}

// problemExample is an example of op's problem with status: the
// operation's own code where it has one, as the commonest worth handling.
func problemExample(op *huma.Operation, status int, codes []string) *Problem {
	own, _ := op.Metadata[problemsKey].(map[int][]string)
	code := codes[0]
	if len(own[status]) > 0 {
		code = own[status][0]
	} else if generic := statusProblems[status]; len(generic) > 0 && slices.Contains(codes, generic[0]) {
		code = generic[0]
	}
	p := newProblem(status, code, strings.ToUpper(code[:1])+strings.ReplaceAll(code[1:], "-", " ")+".")
	p.Instance, p.RequestID = exampleInstance(op.Path), "01JD0Q5V7X2M9K3F4R6T8W0Y1Z"
	if code == reasonUnknownParameter {
		if refused := queryProblem(op, exampleTypo(queryParams(op))+"=1", http.MethodGet, func(string) string { return "" }); refused != nil {
			refused.Instance, refused.RequestID = p.Instance, p.RequestID
			return refused
		}
	}
	if status == 422 && code == "validation-failed" {
		p.Detail = "validation failed"
		p.Errors = []ProblemField{{Location: "body.email", Message: "expected string to be RFC 5322 email"}}
	}
	return p
}

// exampleInstance fills a path template's parameters with example values.
func exampleInstance(path string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(path, '{')
		if open < 0 {
			return b.String() + path
		}
		end := strings.IndexByte(path[open:], '}')
		if end < 0 {
			return b.String() + path
		}
		b.WriteString(path[:open] + "0193a4f4-8d3c-7b1e-9f0a-2c4d6e8f0a1b")
		path = path[open+end+1:]
	}
}
