package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// Ending a session ends its access tokens at once, not when they expire:
// each case signs in, proves the access token works, ends the session the
// way a user or admin would, and expects the very next request to be 401.
func TestRevocationEndsAccessTokensAtOnce(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	me := func(token string) int {
		return srv.Do(apitest.Request{Path: "/v1/auth/me", Token: token}).StatusCode
	}
	staffID := func(token string) string {
		var m struct {
			ID string `json:"id"`
		}
		srv.Do(apitest.Request{Path: "/v1/auth/me", Token: token}).JSON(t, &m)
		return m.ID
	}
	cases := map[string]func(t *testing.T, tok apitest.Tokens, password string) []string{
		"logout": func(t *testing.T, tok apitest.Tokens, _ string) []string {
			if r := post(srv, "/v1/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 204 {
				t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
			}
			return []string{tok.AccessToken}
		},
		"password change": func(t *testing.T, tok apitest.Tokens, password string) []string {
			r := post(srv, "/v1/auth/password", map[string]string{"current_password": password, "new_password": "an entirely new password"}, tok.AccessToken)
			if r.StatusCode != 204 {
				t.Fatalf("change password: %d %s", r.StatusCode, r.Body)
			}
			return []string{tok.AccessToken}
		},
		"account disabled": func(t *testing.T, tok apitest.Tokens, _ string) []string {
			r := srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/staff/" + staffID(tok.AccessToken), Body: map[string]any{"active": false}, Token: admin})
			if r.StatusCode != 200 {
				t.Fatalf("disable: %d %s", r.StatusCode, r.Body)
			}
			return []string{tok.AccessToken}
		},
		"refresh-token reuse": func(t *testing.T, tok apitest.Tokens, _ string) []string {
			var next apitest.Tokens
			r := post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, "")
			if r.JSON(t, &next); r.StatusCode != 200 || me(next.AccessToken) != 200 {
				t.Fatalf("refresh: %d %s", r.StatusCode, r.Body)
			}
			if r := post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 401 {
				t.Fatalf("replayed refresh token: %d", r.StatusCode)
			}
			// The thief's token and the owner's both stop.
			return []string{tok.AccessToken, next.AccessToken}
		},
	}
	for name, end := range cases {
		t.Run(name, func(t *testing.T) {
			email, password := srv.NewStaff(t, identity.RoleEditor)
			tok := srv.Login(t, email, password)
			other := srv.Login(t, email, password) // another device
			if s := me(tok.AccessToken); s != 200 {
				t.Fatalf("fresh token: %d", s)
			}
			for _, old := range end(t, tok, password) {
				if s := me(old); s != 401 {
					t.Errorf("access token of the ended session: %d, want 401 at once", s)
				}
			}
			// Logout and reuse end one session; the other device's stays.
			wantOther := 401
			if name == "logout" || name == "refresh-token reuse" {
				wantOther = 200
			}
			if s := me(other.AccessToken); s != wantOther {
				t.Errorf("the other device's token: %d, want %d", s, wantOther)
			}
		})
	}
}

// With two API processes on one database, a session ended through one is
// refused by the other within a second, though the other had the account
// cached.
func TestRevocationReachesEveryInstanceWithinASecond(t *testing.T) {
	// Not parallel: it holds propagation to a one-second deadline.
	a := apitest.Start(t, nil)
	b := apitest.StartOn(t, a.DBURL, nil) // shares a's keys, as production processes do
	email, password := a.NewStaff(t, identity.RoleEditor)
	tok := a.Login(t, email, password)
	for name, srv := range map[string]*apitest.Server{"a": a, "b": b} {
		if r := srv.Do(apitest.Request{Path: "/v1/auth/me", Token: tok.AccessToken}); r.StatusCode != 200 {
			t.Fatalf("instance %s before logout: %d", name, r.StatusCode)
		}
	}
	if r := post(a, "/v1/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 204 {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	apitest.Eventually(t, time.Second, "instance b refuses the ended session's access token", func() bool {
		return b.Do(apitest.Request{Path: "/v1/auth/me", Token: tok.AccessToken}).StatusCode == 401
	})
}
