package api

import (
	"net/url"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// invalidField reports one bad input field as a validation problem.
func invalidField(location, message string) error { return hpa.Invalid(location, message) }

// uuidField parses an ID given in a body or query field.
func uuidField(raw, location string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, invalidField(location, "must be a UUID")
	}
	return id, nil
}

// isOrigin reports whether s is a bare web origin (scheme://host[:port]).
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.Path == "" && u.RawQuery == "" && u.User == nil
}

// idString renders an optional ID, "" when absent.
func idString[T interface{ String() string }](v *T) string {
	if v == nil {
		return ""
	}
	return (*v).String()
}
