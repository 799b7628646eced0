package content

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// Precondition is an update's If-Match: the validators of the version the
// editor last read. A write whose precondition does not hold is refused
// with EPRECONDITION, so nobody silently overwrites a colleague's edit.
type Precondition struct {
	// Any is If-Match: * (any current version will do).
	Any bool
	// ETags are the strong validators sent, with their quotes.
	ETags []string
}

// ParsePrecondition reads an If-Match header value. Weak validators never
// match (RFC 9110 compares If-Match strongly), so they are dropped.
func ParsePrecondition(ifMatch string) Precondition {
	var p Precondition
	for _, v := range strings.Split(ifMatch, ",") {
		v = strings.TrimSpace(v)
		switch {
		case v == "*":
			p.Any = true
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			p.ETags = append(p.ETags, v)
		}
	}
	return p
}

// holds reports whether the current validator satisfies the precondition.
func (p Precondition) holds(current string) bool {
	if p.Any {
		return true
	}
	for _, e := range p.ETags {
		if e == current {
			return true
		}
	}
	return false
}

// check returns the problem for a failed precondition on what.
func (p Precondition) check(current, what string) error {
	if p.holds(current) {
		return nil
	}
	return hpa.Errorf(hpa.EPRECONDITION, "the %s has changed since you read it (its ETag is now %s): reload it, reapply your change and send the new ETag in If-Match", what, current).WithReason(ReasonStaleVersion)
}

// recordETag is the strong validator of an editable record: its identity
// and its version, which every save increments.
func recordETag(id uuid.UUID, version int32) string {
	return `"` + id.String() + "." + strconv.Itoa(int(version)) + `"`
}

// quoted makes a content hash into a strong validator.
func quoted(version string) string { return `"` + version + `"` }
