package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/httprate"
)

// perAddressLimit is a huma middleware allowing limit requests per window
// from one client address to the operations it guards, on top of the
// general limit: sign-ins, signups and enquiries are worth more to an
// attacker than a page read. Counts live in memory, per process, and hold
// no address beyond the window.
func perAddressLimit(hapi huma.API, limit int, window time.Duration, refusal string) func(huma.Context, func(huma.Context)) {
	limiter := httprate.NewRateLimiter(limit, window, httprate.WithResponseHeaders(httprate.ResponseHeaders{}))
	retryAfter := strconv.Itoa(int(window.Seconds()))
	return func(ctx huma.Context, next func(huma.Context)) {
		r, w := humachi.Unwrap(ctx)
		if limiter.OnLimit(w, r, stateOf(ctx.Context()).clientIP.String()) {
			ctx.SetHeader("Retry-After", retryAfter)
			_ = huma.WriteErr(hapi, ctx, http.StatusTooManyRequests, refusal)
			return
		}
		next(ctx)
	}
}
