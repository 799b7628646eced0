package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/logging"
)

// problemTypePrefix makes each problem code a stable, absolute type URI.
const problemTypePrefix = "urn:hpa:problem:"

// Problem is an RFC 9457 problem details object, the body of every error.
type Problem struct {
	Type      string         `json:"type" format:"uri" example:"urn:hpa:problem:validation-failed" doc:"Stable URI naming the kind of problem; the part after urn:hpa:problem: is the same as code."`
	Title     string         `json:"title" example:"Unprocessable Entity" doc:"Short summary of the problem kind."`
	Status    int            `json:"status" example:"422" doc:"HTTP status code."`
	Detail    string         `json:"detail,omitempty" example:"validation failed" doc:"What went wrong this time, in words a person can act on."`
	Instance  string         `json:"instance,omitempty" example:"/v1/members" doc:"The path of the request that failed."`
	Code      string         `json:"code" example:"validation-failed" doc:"Stable machine-readable code; switch on this (or type), never on detail."`
	RequestID string         `json:"request_id,omitempty" example:"01JD0Q5V7X2M9K3F4R6T8W0Y1Z" doc:"Quote this when reporting a problem."`
	Errors    []ProblemField `json:"errors,omitempty" doc:"One entry per invalid input field."`
	status    int
}

// ProblemField locates one invalid input.
type ProblemField struct {
	Location string `json:"location,omitempty" example:"body.email" doc:"Where the invalid value is: body.<field>, query.<name>, path.<name> or header.<name>."`
	Message  string `json:"message" example:"expected string to be RFC 5322 email" doc:"What is wrong with it."`
}

// Error implements error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.status }

// ContentType implements huma.ContentTypeFilter: problems are problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// problemCodes names each HTTP status the API can return as an error.
var problemCodes = map[int]string{
	http.StatusBadRequest:                  "bad-request",
	http.StatusUnauthorized:                "unauthenticated",
	http.StatusForbidden:                   "forbidden",
	http.StatusNotFound:                    "not-found",
	http.StatusMethodNotAllowed:            "method-not-allowed",
	http.StatusNotAcceptable:               "not-acceptable",
	http.StatusConflict:                    "conflict",
	http.StatusPreconditionFailed:          "precondition-failed",
	http.StatusRequestEntityTooLarge:       "body-too-large",
	http.StatusRequestURITooLong:           "uri-too-long",
	http.StatusUnsupportedMediaType:        "unsupported-media-type",
	http.StatusUnprocessableEntity:         "validation-failed",
	http.StatusPreconditionRequired:        "precondition-required",
	http.StatusTooManyRequests:             "rate-limited",
	http.StatusRequestHeaderFieldsTooLarge: "headers-too-large",
	http.StatusInternalServerError:         "internal-error",
	http.StatusServiceUnavailable:          "unavailable",
}

// domainStatus is the one table from domain error codes to HTTP statuses.
var domainStatus = map[string]int{
	hpa.EINVALID:              http.StatusUnprocessableEntity,
	hpa.ENOTFOUND:             http.StatusNotFound,
	hpa.ECONFLICT:             http.StatusConflict,
	hpa.EPRECONDITION:         http.StatusPreconditionFailed,
	hpa.EPRECONDITIONREQUIRED: http.StatusPreconditionRequired,
	hpa.EUNAUTHORIZED:         http.StatusUnauthorized,
	hpa.EFORBIDDEN:            http.StatusForbidden,
	hpa.ERATELIMITED:          http.StatusTooManyRequests,
	hpa.EUNAVAILABLE:          http.StatusServiceUnavailable,
	hpa.EINTERNAL:             http.StatusInternalServerError,
}

const internalDetail = "An unexpected error occurred. It has been logged; quote the request ID if you contact us."

func newProblem(status int, code, detail string) *Problem {
	if code == "" {
		code = problemCodes[status]
		if code == "" {
			code = "http-" + strconv.Itoa(status)
		}
	}
	return &Problem{
		Type:   problemTypePrefix + code,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
		status: status,
	}
}

// problemFor converts huma's error arguments (a message plus validation
// details, or a handler's error) to a Problem. Domain errors are translated
// here and nowhere else.
func problemFor(status int, msg string, errs ...error) *Problem {
	for _, err := range errs {
		// A problem the API layer made whole (refuseUnknownParameters).
		var p *Problem
		if errors.As(err, &p) {
			return p
		}
	}
	if de, _ := domainError(errs); de != nil {
		return problemFromDomain(de)
	}
	if status >= 500 {
		return newProblem(status, "", internalDetail)
	}
	p := newProblem(status, "", msg)
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			detail := d.ErrorDetail()
			p.Errors = append(p.Errors, fieldProblem(detail.Location, detail.Message))
			continue
		}
		p.Errors = append(p.Errors, ProblemField{Message: err.Error()})
	}
	return p
}

// missingProperty is huma's message for a required property left out,
// which it reports at the enclosing object.
var missingProperty = regexp.MustCompile(`^expected required property (\S+) to be present$`)

// fieldProblem locates a validation error at the field itself: a missing
// property is body.name ("is required"), not body with the name in the
// message, so a form can put each message beside its field.
func fieldProblem(location, message string) ProblemField {
	if m := missingProperty.FindStringSubmatch(message); m != nil {
		return ProblemField{Location: location + "." + m[1], Message: "is required"}
	}
	return ProblemField{Location: location, Message: message}
}

// domainError returns the first domain error among errs or, failing that,
// the domain error a dependency's failure amounts to (see classify); then
// classified is true.
func domainError(errs []error) (de *hpa.Error, classified bool) {
	for _, err := range errs {
		if errors.As(err, &de) {
			return de, false
		}
	}
	for _, err := range errs {
		if de = classify(err); de != nil {
			return de, true
		}
	}
	return nil, false
}

// classify is where failures that reach the API without a domain code are
// recognised, whichever operation met them. The database being away (down,
// restarting, unreachable) is a 503 database-unavailable with Retry-After:
// nothing was done, and the same request will work when it is back.
// PostgreSQL refusing a value as data is the caller's mistake (422),
// whatever the handler expected; validation should have stopped the value
// first (refuseUnstorableText does for text), so it is logged.
func classify(err error) *hpa.Error {
	if database.Unavailable(err) {
		return database.UnavailableError()
	}
	if state, ok := database.DataException(err); ok {
		if state == sqlStateBadText || state == sqlStateBadUnicodeEscape {
			return hpa.InvalidText()
		}
		return hpa.Errorf(hpa.EINVALID, "a value in the request is not one that can be stored: check its range and format").WithReason("invalid-value")
	}
	return nil
}

// SQLSTATEs of text PostgreSQL cannot store: character_not_in_repertoire
// (NUL, bytes that are not UTF-8) and untranslatable_character (\u0000 in
// jsonb).
const (
	sqlStateBadText          = "22021"
	sqlStateBadUnicodeEscape = "22P05"
)

func problemFromDomain(de *hpa.Error) *Problem {
	status, ok := domainStatus[de.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 && de.Code == hpa.EINTERNAL {
		return newProblem(status, "", internalDetail)
	}
	p := newProblem(status, de.Reason, de.Message)
	for _, f := range de.Fields {
		p.Errors = append(p.Errors, ProblemField{Location: f.Location, Message: f.Message})
	}
	return p
}

var configureHumaOnce sync.Once

// configureHuma makes huma produce Problems and describe lists as arrays
// that are never null (handlers always send [], never null). huma's
// documented hooks for both are package variables, so this sets them once.
func configureHuma() {
	configureHumaOnce.Do(func() {
		huma.DefaultArrayNullable = false
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			return problemFor(status, msg, errs...)
		}
		huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
			p := problemFor(status, msg, errs...)
			r := ctx.Context()
			p.RequestID = logging.RequestID(r)
			p.Instance = ctx.URL().Path
			de, classified := domainError(errs)
			switch logger := stateOf(r).logger; {
			case p.status == http.StatusServiceUnavailable:
				// A dependency is away (the database restarting, a full
				// buffer): worth watching, not a fault of the service.
				logger.WarnContext(r, "unavailable", "operation", ctx.Operation().OperationID, "error", errors.Join(errs...))
			case p.status >= 500:
				logger.ErrorContext(r, "request failed", "operation", ctx.Operation().OperationID, "error", errors.Join(errs...))
			case classified:
				// PostgreSQL's message may quote the value: log only its code.
				state, _ := database.DataException(errors.Join(errs...))
				logger.WarnContext(r, "the database refused a value that validation let through", "operation", ctx.Operation().OperationID, "sqlstate", state)
			}
			if de != nil && de.RetryAfterSeconds > 0 {
				ctx.SetHeader("Retry-After", strconv.Itoa(de.RetryAfterSeconds))
			}
			return p
		}
	})
}

// writeProblem writes p for requests that never reach a huma operation:
// unknown routes, panics, rate limits, limits on the request itself.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.RequestID = logging.RequestID(r.Context())
	p.Instance = r.URL.Path
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.status)
	if r.Method == http.MethodHead {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}
