package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// loginFrom signs in from a client address (the test server trusts
// X-Forwarded-For from 127.0.0.1) and says how long the answer took.
func loginFrom(srv *apitest.Server, addr, email, password string) (*apitest.Response, time.Duration) {
	start := time.Now()
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Header: http.Header{"X-Forwarded-For": {addr}},
		Body: map[string]string{"email": email, "password": password}})
	return r, time.Since(start)
}

// A stranger guessing passwords can slow an account's sign-in down but
// never lock its owner out: after the failures the right password still
// works (from anywhere, a little later), the owner is told once, and the
// stranger's own address runs into its limit.
func TestWrongPasswordsCannotLockTheOwnerOut(t *testing.T) {
	// Not parallel: it measures how long answers take.
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "6", "HPA_TRUSTED_PROXIES": "127.0.0.1"})
	email, password := srv.NewStaff(t, identity.RoleEditor)
	const attacker, owner = "203.0.113.9", "198.51.100.7"

	var slowest time.Duration
	for i := 0; i < 6; i++ {
		r, took := loginFrom(srv, attacker, email, "a wrong guess number "+string(rune('a'+i)))
		if p := r.Problem(t); r.StatusCode != 401 || p.Code != "invalid-credentials" {
			t.Fatalf("guess %d: %d %+v", i+1, r.StatusCode, p)
		}
		slowest = max(slowest, took)
	}
	if slowest < time.Second {
		t.Errorf("the sixth guess was answered in %s: failures beyond five must be slowed", slowest)
	}
	if r, _ := loginFrom(srv, attacker, email, "yet another guess"); r.StatusCode != 429 || r.Problem(t).Code != "rate-limited" {
		t.Errorf("seventh attempt from the attacker's address: %d, want 429", r.StatusCode)
	}

	r, took := loginFrom(srv, owner, email, password)
	if r.StatusCode != 200 {
		t.Fatalf("the owner's right password after the guesses: %d %s", r.StatusCode, r.Body)
	}
	t.Logf("the owner signed in after %s", took)
	if took > 15*time.Second {
		t.Errorf("the owner waited %s: the delay must be bounded", took)
	}

	warning := srv.Mail.WaitFor(t, email, 10*time.Second, nil)
	if !strings.Contains(warning.Subject, "Failed sign-in") || !strings.Contains(warning.Text, "not been locked") {
		t.Errorf("warning email: %q %q", warning.Subject, warning.Text)
	}
	var queued int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.send' AND args->>'template' = 'staff-failed-sign-ins'`).Scan(&queued); err != nil || queued != 1 {
		t.Errorf("emails to the owner: %d (%v), want one for the whole burst", queued, err)
	}
}

// Slowing down must not reveal which addresses have accounts: repeated
// failures for an unknown address are slowed exactly like those for a
// real account.
func TestThrottlingDoesNotRevealAccounts(t *testing.T) {
	// Not parallel: it measures how long answers take.
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "1000"})
	email, _ := srv.NewStaff(t, identity.RoleEditor)
	sixth := func(e string) time.Duration {
		var took time.Duration
		for i := 0; i < 6; i++ {
			var r *apitest.Response
			r, took = loginFrom(srv, "127.0.0.1", e, "wrong password here")
			if r.StatusCode != 401 {
				t.Fatalf("%s: %d", e, r.StatusCode)
			}
		}
		return took
	}
	known, unknown := sixth(email), sixth("nobody-at-all@example.org")
	t.Logf("sixth failure: known account %s, unknown address %s", known, unknown)
	if known < time.Second || unknown < time.Second {
		t.Errorf("sixth failures: known %s, unknown %s; both must be slowed alike", known, unknown)
	}
}
