package identity

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// Role is a staff role. A staff member may hold several.
type Role string

// The staff roles, least privilege first is not meaningful: each grants a
// distinct area, and admin grants everything.
const (
	RoleAdmin      Role = "admin"      // everything, including staff accounts and API keys
	RoleEditor     Role = "editor"     // content, opportunities, events
	RoleMembership Role = "membership" // member records, including special-category data
	RoleTreasurer  Role = "treasurer"  // donations and Gift Aid
	RoleAnalyst    Role = "analyst"    // visit statistics and aggregate figures, no personal data
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleEditor, RoleMembership, RoleTreasurer, RoleAnalyst}

// Scope is an API key permission.
type Scope string

// The API key scopes.
const (
	ScopeMembersSignup      Scope = "members:signup"      // sign people up as members
	ScopeOpportunitiesWrite Scope = "opportunities:write" // submit and edit the organisation's own opportunities
	ScopeStatsRead          Scope = "stats:read"          // read visit statistics
	ScopeContentRead        Scope = "content:read"        // read content, including drafts shared with partners
	ScopeWebhooksManage     Scope = "webhooks:manage"     // manage the organisation's webhook endpoints and see their deliveries
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeMembersSignup, ScopeOpportunitiesWrite, ScopeStatsRead, ScopeContentRead, ScopeWebhooksManage}

// ParseRoles validates role names.
func ParseRoles(names []string) ([]Role, error) {
	out := make([]Role, 0, len(names))
	for _, n := range names {
		if !slices.Contains(Roles, Role(n)) {
			return nil, hpa.Invalid("body.roles", fmt.Sprintf("unknown role %q", n))
		}
		if !slices.Contains(out, Role(n)) {
			out = append(out, Role(n))
		}
	}
	return out, nil
}

// CallerKind says how a request authenticated.
type CallerKind int

// Caller kinds.
const (
	Anonymous CallerKind = iota
	Staff
	APIKey
	Member
)

// Caller is the authenticated party behind a request.
type Caller struct {
	Kind CallerKind
	// ID is the staff member's, the API key's or the member's ID.
	ID uuid.UUID
	// Roles are a staff member's current roles (read from the database,
	// not the token, so a change applies at once).
	Roles []Role
	// OrganisationID and Scopes belong to API keys.
	OrganisationID uuid.UUID
	Scopes         []Scope
}

// HasRole reports whether a staff caller holds any of roles; admin holds
// them all.
func (c *Caller) HasRole(roles ...Role) bool {
	if c == nil || c.Kind != Staff {
		return false
	}
	if slices.Contains(c.Roles, RoleAdmin) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(c.Roles, r) {
			return true
		}
	}
	return false
}

// HasScope reports whether an API key caller holds any of scopes.
func (c *Caller) HasScope(scopes ...Scope) bool {
	if c == nil || c.Kind != APIKey {
		return false
	}
	for _, s := range scopes {
		if slices.Contains(c.Scopes, s) {
			return true
		}
	}
	return false
}

// AuditActor is how the caller appears in the audit log.
func (c *Caller) AuditActor() audit.Actor {
	if c == nil {
		return audit.Actor{Type: audit.ActorAnonymous}
	}
	switch c.Kind {
	case Staff:
		return audit.Actor{Type: audit.ActorStaff, ID: c.ID}
	case APIKey:
		return audit.Actor{Type: audit.ActorAPIKey, ID: c.ID}
	case Member:
		return audit.Actor{Type: audit.ActorMember, ID: c.ID}
	}
	return audit.Actor{Type: audit.ActorAnonymous}
}
