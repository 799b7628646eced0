package api_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type me struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	Roles       []string `json:"roles"`
	Active      bool     `json:"active"`
	LastLoginAt string   `json:"last_login_at"`
}

func post(srv *apitest.Server, path string, body any, token string) *apitest.Response {
	return srv.Do(apitest.Request{Method: http.MethodPost, Path: path, Body: body, Token: token})
}

func TestLoginRefreshReuseAndLogout(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	email, password := srv.NewStaff(t, identity.RoleEditor, identity.RoleAnalyst)
	tok := srv.Login(t, email, password)
	if tok.ExpiresIn < 890 || tok.ExpiresIn > 900 {
		t.Errorf("expires_in = %d, want 15 minutes", tok.ExpiresIn)
	}

	var m me
	r := srv.Do(apitest.Request{Path: "/v1/auth/me", Token: tok.AccessToken})
	r.JSON(t, &m)
	sort.Strings(m.Roles)
	if r.StatusCode != 200 || m.Email != email || !slices.Equal(m.Roles, []string{"analyst", "editor"}) || m.LastLoginAt == "" {
		t.Fatalf("me: %d %+v", r.StatusCode, m)
	}

	// Refresh rotates: the new pair works, the old refresh token is spent.
	r = post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, "")
	var next apitest.Tokens
	r.JSON(t, &next)
	if r.StatusCode != 200 || next.RefreshToken == tok.RefreshToken || next.AccessToken == "" {
		t.Fatalf("refresh: %d %s", r.StatusCode, r.Body)
	}
	// Replaying the spent token is treated as theft: the whole family ends.
	r = post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, "")
	if p := r.Problem(t); r.StatusCode != 401 || p.Code != "invalid-token" {
		t.Fatalf("replayed refresh: %d %+v", r.StatusCode, p)
	}
	if r := post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": next.RefreshToken}, ""); r.StatusCode != 401 {
		t.Errorf("family member after reuse: %d", r.StatusCode)
	}

	// Logout ends a session; logging out twice is fine.
	tok = srv.Login(t, email, password)
	for i := 0; i < 2; i++ {
		if r := post(srv, "/v1/auth/logout", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 204 {
			t.Fatalf("logout %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	if r := post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 401 {
		t.Errorf("refresh after logout: %d", r.StatusCode)
	}
}

// Every failed login looks the same, whether the account exists, the
// password is wrong or the account is disabled. (Repeated failures slow
// sign-in down without locking: login_test.go.)
func TestLoginFailuresRevealNothing(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "1000"})
	email, _ := srv.NewStaff(t, identity.RoleEditor)
	disabledEmail, disabledPassword := srv.NewStaff(t, identity.RoleEditor)
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE staff SET active = false WHERE email = $1`, disabledEmail); err != nil {
		t.Fatal(err)
	}
	login := func(e, p string) (int, string, string) {
		r := post(srv, "/v1/auth/login", map[string]string{"email": e, "password": p}, "")
		if r.StatusCode == 200 {
			return 200, "", ""
		}
		pr := r.Problem(t)
		return r.StatusCode, pr.Code, pr.Detail
	}
	ref, refCode, refDetail := login("nobody@example.org", "whatever password")
	for name, c := range map[string][2]string{
		"wrong password": {email, "not the password at all"},
		"disabled":       {disabledEmail, disabledPassword},
		"empty":          {"", ""},
	} {
		if s, code, detail := login(c[0], c[1]); s != ref || code != refCode || detail != refDetail {
			t.Errorf("%s: %d %s %q differs from unknown account: %d %s %q", name, s, code, detail, ref, refCode, refDetail)
		}
	}
	if ref != 401 || refCode != "invalid-credentials" {
		t.Errorf("failed login: %d %s", ref, refCode)
	}
}

func TestLoginIsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "3"})
	for i := 0; i < 3; i++ {
		post(srv, "/v1/auth/login", map[string]string{"email": "x@example.org", "password": "wrong wrong wrong"}, "")
	}
	r := post(srv, "/v1/auth/login", map[string]string{"email": "x@example.org", "password": "wrong wrong wrong"}, "")
	if p := r.Problem(t); r.StatusCode != 429 || p.Code != "rate-limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("4th login: %d %+v", r.StatusCode, p)
	}
}

func TestInvitationRolesAndDisablingTakeEffectAtOnce(t *testing.T) {
	// Not parallel: it holds role changes to a one-second deadline.
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	r := post(srv, "/v1/staff", map[string]any{"email": "New.Editor@Example.org", "display_name": "New Editor", "roles": []string{"editor"}}, admin)
	var inv struct {
		Staff struct {
			ID      string `json:"id"`
			Email   string `json:"email"`
			Invited bool   `json:"invited"`
		} `json:"staff"`
		Token string `json:"invitation_token"`
	}
	r.JSON(t, &inv)
	if r.StatusCode != 201 || inv.Staff.Email != "new.editor@example.org" || !inv.Staff.Invited || inv.Token == "" {
		t.Fatalf("invite: %d %s", r.StatusCode, r.Body)
	}
	invitation := srv.Mail.WaitFor(t, "new.editor@example.org", 10*time.Second, nil)
	if apitest.TokenFrom(t, invitation) != url.QueryEscape(inv.Token) || !strings.Contains(invitation.Text, "editor") {
		t.Errorf("invitation email: %s", invitation.Text)
	}
	if r := post(srv, "/v1/staff", map[string]any{"email": "new.editor@example.org", "display_name": "Again", "roles": []string{"editor"}}, admin); r.StatusCode != 409 {
		t.Errorf("duplicate invite: %d", r.StatusCode)
	}
	// An invited account cannot sign in until it accepts.
	if r := post(srv, "/v1/auth/login", map[string]string{"email": "new.editor@example.org", "password": "chosen password 123"}, ""); r.StatusCode != 401 {
		t.Errorf("login before accepting: %d", r.StatusCode)
	}
	if r := post(srv, "/v1/auth/invitations/accept", map[string]string{"token": inv.Token, "password": "chosen password 123"}, ""); r.StatusCode != 204 {
		t.Fatalf("accept: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/auth/invitations/accept", map[string]string{"token": inv.Token, "password": "another password 123"}, ""); r.StatusCode != 422 || r.Problem(t).Code != "invalid-invitation" {
		t.Errorf("second accept: %d", r.StatusCode)
	}
	editor := srv.Login(t, "new.editor@example.org", "chosen password 123").AccessToken
	if r := srv.Do(apitest.Request{Path: "/v1/staff", Token: editor}); r.StatusCode != 403 {
		t.Errorf("editor listing staff: %d", r.StatusCode)
	}

	// Re-roled to admin: the same token now carries the new roles.
	patch := func(body any) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/staff/" + inv.Staff.ID, Body: body, Token: admin})
	}
	if r := patch(map[string]any{"roles": []string{"admin"}}); r.StatusCode != 200 {
		t.Fatalf("re-role: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, time.Second, "new roles apply to an existing token", func() bool {
		return srv.Do(apitest.Request{Path: "/v1/staff", Token: editor}).StatusCode == 200
	})
	// Disabled: the token stops working at once, not when it expires.
	if r := patch(map[string]any{"active": false}); r.StatusCode != 200 {
		t.Fatalf("disable: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, time.Second, "a disabled account's token is refused", func() bool {
		return srv.Do(apitest.Request{Path: "/v1/auth/me", Token: editor}).StatusCode == 401
	})
}

func TestTheLastAdminCannotBeRemoved(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	var m me
	srv.Do(apitest.Request{Path: "/v1/auth/me", Token: admin}).JSON(t, &m)
	for _, body := range []map[string]any{{"roles": []string{"editor"}}, {"active": false}} {
		r := srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/staff/" + m.ID, Body: body, Token: admin})
		if p := r.Problem(t); r.StatusCode != 409 || p.Code != "last-admin" {
			t.Errorf("%v: %d %+v", body, r.StatusCode, p)
		}
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	email, password := srv.NewStaff(t, identity.RoleEditor)
	tok := srv.Login(t, email, password)
	change := func(current, next string) *apitest.Response {
		return post(srv, "/v1/auth/password", map[string]string{"current_password": current, "new_password": next}, tok.AccessToken)
	}
	if r := change("not my password", "a brand new password"); r.StatusCode != 403 {
		t.Errorf("wrong current password: %d", r.StatusCode)
	}
	if r := change(password, "short"); r.StatusCode != 422 {
		t.Errorf("short new password: %d", r.StatusCode)
	}
	if r := change(password, "a brand new password"); r.StatusCode != 204 {
		t.Fatalf("change: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}, ""); r.StatusCode != 401 {
		t.Errorf("old session after password change: %d", r.StatusCode)
	}
	srv.Login(t, email, "a brand new password")
}

// Unknown email and wrong password take the same time, because both
// compute one argon2id hash. Medians over interleaved samples, with a wide
// tolerance: a leak would show as the hash's whole cost (~75 ms) missing
// from one side, far outside it.
func TestLoginTimingDoesNotRevealAccounts(t *testing.T) {
	// Not parallel: it measures how long answers take.
	if testing.Short() {
		t.Skip("timing test")
	}
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "1000"})
	email, _ := srv.NewStaff(t, identity.RoleEditor)
	measure := func(e string) time.Duration {
		start := time.Now()
		post(srv, "/v1/auth/login", map[string]string{"email": e, "password": "wrong password here"}, "")
		return time.Since(start)
	}
	var known, unknown []time.Duration
	for i := 0; i < 9; i++ {
		if _, err := srv.Pool.Exec(context.Background(), `DELETE FROM login_failures`); err != nil {
			t.Fatal(err)
		}
		// Which goes first alternates: on a busy machine the second of a
		// pair was often a third slower (the first one's 32 MiB hash is
		// garbage by then), whichever account it was.
		if i%2 == 0 {
			known = append(known, measure(email))
			unknown = append(unknown, measure("nobody-here@example.org"))
		} else {
			unknown = append(unknown, measure("nobody-here@example.org"))
			known = append(known, measure(email))
		}
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	k, u := median(known), median(unknown)
	ratio := float64(k) / float64(u)
	t.Logf("median login: known account %s, unknown %s, ratio %.2f", k, u, ratio)
	if ratio < 0.6 || ratio > 1.6 {
		t.Errorf("timing differs: known %s vs unknown %s", k, u)
	}
}
