package apitest

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
)

var staffSeq atomic.Int64

// NewStaff creates an active staff account with roles and returns its
// email and password.
func (s *Server) NewStaff(t testing.TB, roles ...identity.Role) (email, password string) {
	t.Helper()
	email = fmt.Sprintf("staff%d-%s@example.org", staffSeq.Add(1), uuid.NewString()[:8])
	password = "a long test password " + uuid.NewString()[:8]
	if _, err := s.App.Identity.CreateAdmin(context.Background(), email, "Test "+email, password, roles); err != nil {
		t.Fatalf("create staff: %v", err)
	}
	return email, password
}

// Tokens is a login response.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// Login signs in through the API and fails the test unless it works.
func (s *Server) Login(t testing.TB, email, password string) Tokens {
	t.Helper()
	r := s.Do(Request{Method: http.MethodPost, Path: "/v1/auth/login", Body: map[string]string{"email": email, "password": password}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.StatusCode, r.Body)
	}
	var tok Tokens
	r.JSON(t, &tok)
	return tok
}

// StaffToken creates a staff member with roles and returns an access token.
func (s *Server) StaffToken(t testing.TB, roles ...identity.Role) string {
	t.Helper()
	email, password := s.NewStaff(t, roles...)
	return s.Login(t, email, password).AccessToken
}

// NewAPIKey creates an organisation and a key with scopes for it.
func (s *Server) NewAPIKey(t testing.TB, scopes ...identity.Scope) (key string, organisationID uuid.UUID) {
	t.Helper()
	return s.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: scopes, RateLimitPerMinute: 100000})
}

// NewAPIKeyWith creates an organisation (unless in names one) and a key.
func (s *Server) NewAPIKeyWith(t testing.TB, in identity.NewAPIKey) (key string, organisationID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	if in.OrganisationID == uuid.Nil {
		org, err := s.App.Identity.CreateOrganisation(ctx, "Partner "+uuid.NewString(), "", "")
		if err != nil {
			t.Fatalf("create organisation: %v", err)
		}
		in.OrganisationID = org.ID
	}
	if in.Name == "" {
		in.Name = "test key"
	}
	if in.RateLimitPerMinute == 0 {
		in.RateLimitPerMinute = 600
	}
	_, key, err := s.App.Identity.CreateAPIKey(ctx, uuid.Nil, in)
	if err != nil {
		t.Fatalf("create API key: %v", err)
	}
	return key, in.OrganisationID
}
