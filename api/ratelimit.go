package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/harmedpatients/hpa/internal/ratelimit"
)

// rateLimiter counts requests against limits that every instance of the
// service shares (ratelimit.Limiter).
type rateLimiter interface {
	Take(ctx context.Context, p ratelimit.Policy, key string) (ratelimit.Decision, error)
	Refund(ctx context.Context, d ratelimit.Decision) error
}

// setRateLimitFields sets the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) for d, and Retry-After with the
// time left in the window when d refuses the request.
func setRateLimitFields(h http.Header, d ratelimit.Decision) {
	h.Set("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", d.Policy.Name, d.Policy.Quota, int(d.Policy.Window/time.Second)))
	h.Set("RateLimit", fmt.Sprintf("%q;r=%d;t=%d", d.Policy.Name, d.Remaining, d.ResetSeconds()))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(d.ResetSeconds()))
	}
}

// addressLimit limits one kind of operation per client address, on top of
// the general limit: sign-ins, signups and enquiries are worth more to an
// attacker than a page read. The counts are shared by every instance.
type addressLimit struct {
	hapi    huma.API
	limits  rateLimiter
	policy  ratelimit.Policy
	refusal string
	// by is what is counted; nil for the client address.
	by func(huma.Context) string
}

// limitPerAddress returns the limit of quota requests per window from one
// client address, named name in the RateLimit fields; without a limiter
// (the contract alone is wanted) it limits nothing.
func (s *server) limitPerAddress(name string, quota int, window time.Duration, refusal string) *addressLimit {
	return &addressLimit{hapi: s.hapi, limits: s.limits, policy: ratelimit.Policy{Name: name, Quota: quota, Window: window}, refusal: refusal}
}

// limitPerShare is like limitPerAddress, but counts the requests made
// with each shared link's token (X-Share-Token), wherever they come from:
// a link given to many readers shares one allowance. Only a hash of the
// token is counted under.
func (s *server) limitPerShare(name string, quota int, window time.Duration, refusal string) *addressLimit {
	l := s.limitPerAddress(name, quota, window, refusal)
	l.by = func(ctx huma.Context) string {
		sum := sha256.Sum256([]byte(ctx.Header("X-Share-Token")))
		return "share:" + hex.EncodeToString(sum[:16])
	}
	return l
}

// middleware counts the request and refuses it with 429 once the
// address's quota is used up.
func (a *addressLimit) middleware(ctx huma.Context, next func(huma.Context)) {
	if a.limits == nil {
		next(ctx)
		return
	}
	state := stateOf(ctx.Context())
	key := state.clientIP.String()
	if a.by != nil {
		key = a.by(ctx)
	}
	d, err := a.limits.Take(ctx.Context(), a.policy, key)
	if err != nil {
		_ = huma.WriteErr(a.hapi, ctx, http.StatusInternalServerError, "", err)
		return
	}
	_, w := humachi.Unwrap(ctx)
	setRateLimitFields(w.Header(), d)
	if !d.Allowed {
		_ = huma.WriteErr(a.hapi, ctx, http.StatusTooManyRequests, a.refusal)
		return
	}
	state.limited = &d
	next(ctx)
}

// refund gives back the request's count, for a request refused for a
// reason that should not use up a person's allowance.
func (a *addressLimit) refund(ctx context.Context) {
	state := stateOf(ctx)
	if a.limits == nil || state.limited == nil {
		return
	}
	if err := a.limits.Refund(ctx, *state.limited); err != nil {
		state.logger.WarnContext(ctx, "rate limit refund failed", "policy", a.policy.Name, "error", err)
	}
	state.limited = nil
}

// generalLimit is the coarse per-address flood limit on every route. It
// is counted in each instance's memory (cheap enough for every request;
// behind a balancer, an address may make up to this many requests to
// each instance), and only a refusal carries the RateLimit fields.
func (s *server) generalLimit(local *ratelimit.Local) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d := local.Take(stateOf(r.Context()).clientIP.String()); !d.Allowed {
				setRateLimitFields(w.Header(), d)
				writeProblem(w, r, newProblem(http.StatusTooManyRequests, "", "too many requests from this address; retry after the number of seconds in Retry-After"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// keyPolicy is an API key's allowance per minute, shared by every instance.
func keyPolicy(perMinute int) ratelimit.Policy {
	return ratelimit.Policy{Name: "api-key", Quota: perMinute, Window: time.Minute}
}

// limitKey counts a request made with a valid API key against the key's
// own allowance and reports whether it may go on; when it may not, the
// refusal (or the failure to count) is written.
func (s *server) limitKey(w http.ResponseWriter, r *http.Request, auth *keyAuthentication) bool {
	if s.limits == nil {
		return true
	}
	d, err := s.limits.Take(r.Context(), keyPolicy(auth.use.RateLimitPerMinute), auth.caller.ID.String())
	if err != nil {
		writeFailure(w, r, err)
		return false
	}
	setRateLimitFields(w.Header(), d)
	if !d.Allowed {
		writeProblem(w, r, newProblem(http.StatusTooManyRequests, "", "this API key has made too many requests this minute; retry after the number of seconds in Retry-After"))
		return false
	}
	return true
}

// writeFailure writes err for a request that failed before reaching a
// huma operation: 503 with Retry-After while the database is away,
// otherwise a logged 500.
func writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	if de := classify(err); de != nil {
		if de.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(de.RetryAfterSeconds))
		}
		writeProblem(w, r, problemFromDomain(de))
		return
	}
	stateOf(r.Context()).logger.ErrorContext(r.Context(), "request failed", "error", err)
	writeProblem(w, r, newProblem(http.StatusInternalServerError, "", internalDetail))
}
