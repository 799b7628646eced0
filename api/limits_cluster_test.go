package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// twoInstances runs two API servers over one database, as two instances
// behind a load balancer would.
func twoInstances(t *testing.T, env map[string]string) [2]*apitest.Server {
	t.Helper()
	a := apitest.Start(t, env)
	return [2]*apitest.Server{a, apitest.StartOn(t, a.DBURL, env)}
}

// from sends req from client address addr (the servers trust
// X-Forwarded-For from 127.0.0.1).
func from(srv *apitest.Server, addr string, req apitest.Request) *apitest.Response {
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("X-Forwarded-For", addr)
	return srv.Do(req)
}

// wantRefused checks r is a 429 from policy, with the RateLimit fields
// and a Retry-After no longer than the window.
func wantRefused(t *testing.T, r *apitest.Response, policy string, window int) {
	t.Helper()
	if r.StatusCode != http.StatusTooManyRequests || r.Problem(t).Code != "rate-limited" {
		t.Fatalf("want 429 rate-limited, got %d %s", r.StatusCode, r.Body)
	}
	if got := r.Header.Get("RateLimit-Policy"); !strings.HasPrefix(got, strconv.Quote(policy)+";q=") || !strings.HasSuffix(got, ";w="+strconv.Itoa(window)) {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, strconv.Quote(policy)+";r=0;t=") {
		t.Errorf("RateLimit %q", got)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > window {
		t.Errorf("Retry-After %q: want the seconds left in the %d-second window", r.Header.Get("Retry-After"), window)
	}
}

// Every limit that protects people and money is one allowance however
// many instances serve the requests: a client alternating between two
// instances gets no more than from one.
func TestLimitsHoldAcrossInstances(t *testing.T) {
	t.Parallel()
	srv := twoInstances(t, map[string]string{
		"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_SIGNUP_RATE_LIMIT": "3", "HPA_ENQUIRY_RATE_LIMIT": "2", "HPA_ENQUIRY_MIN_FILL_TIME": "2s",
		"HPA_LOGIN_RATE_LIMIT": "4", "HPA_VISITS_HOSTNAMES": "www.example.org", "HPA_VISITS_FLUSH_INTERVAL": "20ms", "HPA_VISITS_VISITOR_RATE_LIMIT": "5",
	})
	ctx := context.Background()

	// First, so that its confirmation is the only one queued.
	t.Run("emails per email address", func(t *testing.T) {
		const email = "twice@example.org"
		for i, s := range srv {
			if r := from(s, "198.51.100."+strconv.Itoa(10+i), apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody(email)}); r.StatusCode != http.StatusAccepted {
				t.Fatalf("signup on instance %d: %d %s", i+1, r.StatusCode, r.Body)
			}
		}
		srv[0].WaitForSignups(t)
		var queued int
		if err := srv[0].Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'mail.compose' AND args->>'template' = 'member-confirm'`).Scan(&queued); err != nil || queued != 1 {
			t.Errorf("confirmation emails for one address signing up on two instances: %d (%v), want 1", queued, err)
		}
	})

	t.Run("signups per client address", func(t *testing.T) {
		const addr = "203.0.113.1"
		for i := range 3 {
			r := from(srv[i%2], addr, apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody("person" + strconv.Itoa(i) + "@example.org")})
			if r.StatusCode != http.StatusAccepted {
				t.Fatalf("signup %d: %d %s", i+1, r.StatusCode, r.Body)
			}
			if want := `"signup";r=` + strconv.Itoa(2-i) + ";t="; !strings.HasPrefix(r.Header.Get("RateLimit"), want) || r.Header.Get("RateLimit-Policy") != `"signup";q=3;w=3600` {
				t.Errorf("signup %d: RateLimit %q, RateLimit-Policy %q", i+1, r.Header.Get("RateLimit"), r.Header.Get("RateLimit-Policy"))
			}
		}
		wantRefused(t, from(srv[1], addr, apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody("person9@example.org")}), "signup", 3600)
	})

	t.Run("enquiries per client address, refused attempts not counted", func(t *testing.T) {
		const addr = "203.0.113.2"
		send := func(s *apitest.Server, body any) *apitest.Response {
			return from(s, addr, apitest.Request{Method: http.MethodPost, Path: "/v1/enquiries", Body: body})
		}
		// Too fast, then the honeypot: neither uses up the allowance.
		if r := send(srv[0], enquiry(newFormToken(t, srv[0]).Token, nil)); r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "form-sent-too-fast" {
			t.Fatalf("too fast: %d %s", r.StatusCode, r.Body)
		}
		if r := send(srv[0], enquiry(readyFormToken(t, srv[0]), map[string]any{"website": "https://spam.example"})); r.StatusCode != http.StatusAccepted {
			t.Fatalf("honeypot: %d %s", r.StatusCode, r.Body)
		}
		for i := range 2 {
			if r := send(srv[i%2], enquiry(readyFormToken(t, srv[i%2]), nil)); r.StatusCode != http.StatusAccepted {
				t.Fatalf("enquiry %d: %d %s", i+1, r.StatusCode, r.Body)
			}
		}
		wantRefused(t, send(srv[0], enquiry(readyFormToken(t, srv[0]), nil)), "enquiry", 3600)
	})

	t.Run("sign-in attempts per client address", func(t *testing.T) {
		const addr = "203.0.113.3"
		for i := range 4 {
			r := from(srv[i%2], addr, apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Body: map[string]string{"email": "nobody@example.org", "password": "not the password"}})
			if r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d %s", i+1, r.StatusCode, r.Body)
			}
		}
		wantRefused(t, from(srv[1], addr, apitest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Body: map[string]string{"email": "nobody@example.org", "password": "x"}}), "login", 60)
	})

	t.Run("failed sign-ins per account", func(t *testing.T) {
		email, _ := srv[0].NewStaff(t, identity.RoleEditor)
		var slowest time.Duration
		for i := range 6 {
			_, took := loginFrom(srv[i%2], "198.51.100."+strconv.Itoa(20+i), email, "wrong guess "+strconv.Itoa(i))
			slowest = max(slowest, took)
		}
		if slowest < time.Second {
			t.Errorf("six failures spread over two instances: slowest answered in %s, want the slow-down after five", slowest)
		}
		var warnings int
		if err := srv[0].Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'mail.send' AND args->>'template' = 'staff-failed-sign-ins'`).Scan(&warnings); err != nil || warnings != 1 {
			t.Errorf("owner warnings: %d (%v), want 1", warnings, err)
		}
	})

	t.Run("an API key's allowance", func(t *testing.T) {
		key, _ := srv[0].NewAPIKeyWith(t, identity.NewAPIKey{Scopes: []identity.Scope{identity.ScopeStatsRead}, RateLimitPerMinute: 3})
		for i := range 3 {
			r := srv[i%2].Do(apitest.Request{Path: "/v1/auth/key", APIKey: key})
			if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("RateLimit"), `"api-key";r=`+strconv.Itoa(2-i)+";t=") {
				t.Fatalf("request %d: %d, RateLimit %q", i+1, r.StatusCode, r.Header.Get("RateLimit"))
			}
		}
		wantRefused(t, srv[1].Do(apitest.Request{Path: "/v1/auth/key", APIKey: key}), "api-key", 60)
	})

	t.Run("events per visitor", func(t *testing.T) {
		header := http.Header{"User-Agent": {mobileUA}, "X-Forwarded-For": {"203.0.113.4"}}
		for i := range 12 {
			if r := beacon(srv[i%2], `{"url":"https://www.example.org/flood"}`, header.Clone()); r.StatusCode != http.StatusAccepted {
				t.Fatalf("beacon %d: %d %s", i+1, r.StatusCode, r.Body)
			}
		}
		apitest.Eventually(t, 5*time.Second, "floods counted", func() bool {
			return count(t, srv[0], `SELECT coalesce(sum(count), 0) FROM visit_bot_counts WHERE reason = 'flood'`) == 7
		})
		if n := count(t, srv[0], `SELECT count(*) FROM visit_events WHERE pathname = '/flood'`); n != 5 {
			t.Errorf("%d events stored from one visitor over two instances, want the 5 within its limit", n)
		}
	})
}
