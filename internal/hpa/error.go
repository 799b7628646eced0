package hpa

import (
	"errors"
	"fmt"
)

// Error codes name kinds of failure independent of transport. The api package
// maps each to an HTTP status and a problem type in one table.
const (
	EINVALID      = "invalid"             // the input breaks a rule
	ENOTFOUND     = "not-found"           // the thing asked for does not exist (or is hidden)
	ECONFLICT     = "conflict"            // the change clashes with the current state
	EPRECONDITION = "precondition-failed" // a conditional request's precondition did not hold
	EUNAUTHORIZED = "unauthenticated"     // the caller is not (or no longer) authenticated
	EFORBIDDEN    = "forbidden"           // the caller is known but may not do this
	ERATELIMITED  = "rate-limited"        // too many requests; try later
	EUNAVAILABLE  = "unavailable"         // a dependency is down or the service is overloaded
	EINTERNAL     = "internal"            // a bug or an unexpected failure
)

// EPRECONDITIONREQUIRED: an update that must be conditional (If-Match, so
// it cannot overwrite a colleague's edit unseen) was not.
const EPRECONDITIONREQUIRED = "precondition-required"

// Error is the one domain error type. Code says what kind of failure it is;
// Reason, when set, is a more specific stable identifier that clients may
// switch on (for example "slug-taken" within ECONFLICT). Message is safe to
// show to the caller: it never carries secrets or other people's data.
type Error struct {
	Code    string
	Reason  string
	Message string
	Fields  []FieldError
	// RetryAfterSeconds, when positive, tells the caller when to try again.
	RetryAfterSeconds int
}

// FieldError points at one invalid input field.
type FieldError struct {
	// Location is a path such as "body.email" or "query.cursor".
	Location string
	Message  string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Reason, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about a single field.
func Invalid(location, message string) *Error {
	return &Error{Code: EINVALID, Message: "validation failed", Fields: []FieldError{{Location: location, Message: message}}}
}

// WithReason returns a copy of e with the specific reason set; e itself
// is unchanged, so a package-level error can be given a reason safely.
func (e *Error) WithReason(reason string) *Error {
	c := *e
	c.Reason = reason
	c.Fields = append([]FieldError(nil), e.Fields...)
	return &c
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorReason returns the reason of the first *Error in err's chain, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
