package apitest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
)

// The security scheme names the contract's operations list their
// requirements under (see api/openapi.go).
const (
	schemeStaff  = "staffBearer"
	schemeAPIKey = "apiKey"
	schemeMember = "memberBearer"
)

// Caller is the credentials a request is sent with; the zero Caller is
// anonymous.
type Caller struct {
	Name   string
	Token  string
	APIKey string
}

// Anonymous reports whether c sends no credentials.
func (c Caller) Anonymous() bool { return c.Token == "" && c.APIKey == "" }

// callers remembers the credentials CallerFor made, per server: one staff
// member per role, one key per scope, one member.
type callers struct {
	mu   sync.Mutex
	made map[string]Caller
}

// CallerFor returns credentials that an operation's security requirements
// (huma.Operation.Security, as the contract shows them) admit, so a test
// can reach what the operation does rather than its 401: the anonymous
// caller for a public operation, else a staff member holding the last role
// listed (admin is listed first and admits everything, so the last one is
// the narrowest), else an API key with the first scope, else a member.
// Credentials are made once per server and reused.
func (s *Server) CallerFor(t testing.TB, security []map[string][]string) Caller {
	t.Helper()
	if len(security) == 0 {
		return Caller{Name: "anonymous"}
	}
	for _, scheme := range []string{schemeStaff, schemeAPIKey, schemeMember} {
		for _, req := range security {
			names, ok := req[scheme]
			if !ok {
				continue
			}
			return s.caller(t, scheme, names)
		}
	}
	t.Fatalf("no known security scheme in %v", security)
	return Caller{}
}

// NewCallerFor is CallerFor with new credentials on every call, for an
// operation that ends its caller (a member erasing their data).
func (s *Server) NewCallerFor(t testing.TB, security []map[string][]string) Caller {
	t.Helper()
	c := s.CallerFor(t, security)
	if c.Anonymous() {
		return c
	}
	return s.makeCaller(t, c.Name, fmt.Sprintf("caller-member%d-%s@example.org", memberSeq.Add(1), uuid.NewString()[:8]))
}

// memberSeq numbers the members NewCallerFor signs up.
var memberSeq atomic.Int64

func (s *Server) caller(t testing.TB, scheme string, names []string) Caller {
	t.Helper()
	var name string
	switch scheme {
	case schemeStaff:
		role := identity.RoleEditor // any staff member will do
		if len(names) > 0 {
			role = identity.Role(names[len(names)-1])
		}
		name = "staff " + string(role)
	case schemeAPIKey:
		name = "key " + names[0]
	default:
		name = "member"
	}
	s.callers.mu.Lock()
	defer s.callers.mu.Unlock()
	if c, ok := s.callers.made[name]; ok {
		return c
	}
	c := s.makeCaller(t, name, "caller-member@example.org")
	if s.callers.made == nil {
		s.callers.made = map[string]Caller{}
	}
	s.callers.made[name] = c
	return c
}

// makeCaller makes the credentials a caller's name describes ("staff
// ROLE", "key SCOPE" or "member", who signs up with memberEmail).
func (s *Server) makeCaller(t testing.TB, name, memberEmail string) Caller {
	t.Helper()
	c := Caller{Name: name}
	switch {
	case strings.HasPrefix(name, "staff "):
		c.Token = s.StaffToken(t, identity.Role(strings.TrimPrefix(name, "staff ")))
	case strings.HasPrefix(name, "key "):
		c.APIKey, _ = s.NewAPIKey(t, identity.Scope(strings.TrimPrefix(name, "key ")))
	default:
		c.Token = s.MemberToken(t, memberEmail)
	}
	return c
}
