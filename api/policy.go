package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/identity"
)

// access is an operation's access policy, declared next to its
// registration and shown in the contract (security requirements and the
// description). A caller is allowed if any clause admits it.
type access struct {
	public bool
	// anyStaff admits every signed-in staff member.
	anyStaff bool
	// roles admits staff holding any of them; admin holds every role.
	roles []identity.Role
	// scopes admits API keys holding any of them.
	scopes []identity.Scope
	// member admits a member's self-service token.
	member bool
}

// public lets anyone call the operation.
var public = access{public: true}

// publicOrMember lets anyone call the operation and takes an optional
// member token, which makes the member the caller (their own registration,
// their own gift). A token that no longer works is ignored, as on every
// public operation, so a stale one never breaks the page.
var publicOrMember = access{public: true, member: true}

// anyStaff lets every signed-in staff member call the operation.
var anyStaff = access{anyStaff: true}

// staffWith admits staff holding any of roles (and admins).
func staffWith(roles ...identity.Role) access { return access{roles: roles} }

// keyWith admits API keys holding any of scopes.
func keyWith(scopes ...identity.Scope) access { return access{scopes: scopes} }

// orKey also admits API keys holding any of scopes, so one operation can
// serve staff (by role) and scripts (by key scope) alike.
func (a access) orKey(scopes ...identity.Scope) access {
	a.scopes = append(append([]identity.Scope{}, a.scopes...), scopes...)
	return a
}

const accessMetadataKey = "hpa-access"

// allows reports whether caller (nil for anonymous) may call the operation.
func (a access) allows(c *identity.Caller) bool {
	if a.public {
		return true
	}
	if c == nil {
		return false
	}
	switch c.Kind {
	case identity.Staff:
		return a.anyStaff || (len(a.roles) > 0 && c.HasRole(a.roles...))
	case identity.APIKey:
		return len(a.scopes) > 0 && c.HasScope(a.scopes...)
	case identity.Member:
		return a.member
	}
	return false
}

// staffRoleNames lists the roles admitted, admin first.
func (a access) staffRoleNames() []string {
	if a.anyStaff {
		return []string{}
	}
	names := []string{string(identity.RoleAdmin)}
	for _, r := range a.roles {
		if r != identity.RoleAdmin {
			names = append(names, string(r))
		}
	}
	return names
}

// describe renders the policy for the operation's description.
func (a access) describe() string {
	if a.public && a.member {
		return "**Access:** public; no credentials needed. Send a member token (optional) to act as that member."
	}
	if a.public {
		return "**Access:** public; no credentials needed."
	}
	var parts []string
	switch {
	case a.anyStaff:
		parts = append(parts, "any signed-in staff member")
	case len(a.roles) > 0:
		parts = append(parts, "staff with role "+strings.Join(a.staffRoleNames(), " or "))
	}
	if len(a.scopes) > 0 {
		names := make([]string, len(a.scopes))
		for i, sc := range a.scopes {
			names[i] = "`" + string(sc) + "`"
		}
		parts = append(parts, "API keys with scope "+strings.Join(names, " or "))
	}
	if a.member {
		parts = append(parts, "the member themself (member token)")
	}
	return "**Access:** " + strings.Join(parts, "; ") + "."
}

// security is the operation's OpenAPI security requirement: one
// alternative per kind of caller admitted, listing the roles or scopes.
func (a access) security() []map[string][]string {
	reqs := []map[string][]string{}
	if a.public && a.member {
		return append(reqs, map[string][]string{}, map[string][]string{schemeMember: {}})
	}
	if a.public {
		return reqs
	}
	if a.anyStaff || len(a.roles) > 0 {
		reqs = append(reqs, map[string][]string{schemeStaff: a.staffRoleNames()})
	}
	if len(a.scopes) > 0 {
		names := make([]string, len(a.scopes))
		for i, sc := range a.scopes {
			names[i] = string(sc)
		}
		reqs = append(reqs, map[string][]string{schemeAPIKey: names})
	}
	if a.member {
		reqs = append(reqs, map[string][]string{schemeMember: {}})
	}
	return reqs
}

var kebabCase = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// register adds an operation with its access policy. It refuses, at start-up,
// any operation without an explicit kebab-case ID, a summary and a tag, so
// the contract stays complete. Every operation documents the errors every
// request can meet (429, 500, and 503 unless it never touches the
// database) besides its own.
func register[I, O any](hapi huma.API, a access, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	if !kebabCase.MatchString(op.OperationID) || op.Summary == "" || len(op.Tags) == 0 {
		panic(fmt.Sprintf("operation %s %s needs a kebab-case OperationID, a Summary and a Tag", op.Method, op.Path))
	}
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[accessMetadataKey] = a
	op.Security = a.security()
	op.Description = strings.TrimSpace(op.Description + "\n\n" + a.describe())
	op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusTooManyRequests, http.StatusInternalServerError)
	if noDatabase, _ := op.Metadata[noDatabaseKey].(bool); !noDatabase {
		op.Errors = append(op.Errors, http.StatusServiceUnavailable)
	}
	if !a.public {
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	}
	declareProblems(&op)
	if hasBody(reflect.TypeFor[I]()) {
		op.Errors = append(op.Errors, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
		if op.MaxBodyBytes == 0 {
			op.MaxBodyBytes = maxBodyBytes
		}
	}
	huma.Register(hapi, op, handler)
	// OpenAPI ignores a documented Content-Type response header (the media
	// type says it); pre-encoded outputs set one, so drop it from the docs.
	if item := hapi.OpenAPI().Paths[op.Path]; item != nil {
		for _, registered := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if registered != nil && registered.OperationID == op.OperationID {
				for _, resp := range registered.Responses {
					delete(resp.Headers, "Content-Type")
				}
				dropRawResponses(registered)
				describeErrors(registered)
				documentProblems(registered)
				describeRateLimits(registered, len(a.scopes) > 0)
			}
		}
	}
}

func hasBody(t reflect.Type) bool {
	_, ok := t.FieldByName("Body")
	if !ok {
		_, ok = t.FieldByName("RawBody")
	}
	return ok
}
