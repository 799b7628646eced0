package api

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/ratelimit"
)

// Limits on the request itself, checked before any routing.
const (
	maxURILength   = 8 << 10
	maxHeaderBytes = 32 << 10
)

// requestState is what the middleware learns about a request and later
// layers need: who to log through, the client's address, and the operation
// that served it (for metrics and logs).
type requestState struct {
	logger    *slog.Logger
	clientIP  netip.Addr
	operation string
	// key is the API key's authentication, when the rate limiter already
	// did it (see validKey).
	key *keyAuthentication
	// limited is the per-address limit's count of the request, which the
	// operation may refund (see addressLimit).
	limited *ratelimit.Decision
}

// keyAuthentication is the outcome of authenticating an API key.
type keyAuthentication struct {
	key    string
	caller *identity.Caller
	use    identity.KeyUse
	err    error
}

type requestStateKey struct{}

// stateOf returns the request's state; outside the middleware (which never
// happens in the server) it returns a state logging through slog's default.
func stateOf(ctx context.Context) *requestState {
	if s, ok := ctx.Value(requestStateKey{}).(*requestState); ok {
		return s
	}
	return &requestState{logger: slog.Default()}
}

// requestContext gives every request an ID (a sane incoming X-Request-ID is
// kept, so IDs can follow a request across services), resolves the client
// address once, and echoes the ID in the response.
func (s *server) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if ids := r.Header["X-Request-Id"]; len(ids) > 0 {
			id = ids[0]
		}
		if !saneRequestID(id) {
			id = s.requestIDs.next()
		}
		w.Header()["X-Request-Id"] = []string{id}
		state := &requestState{logger: s.logger, clientIP: s.clientIP(r)}
		ctx := logging.WithRequestID(r.Context(), id)
		ctx = context.WithValue(ctx, requestStateKey{}, state)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

var requestIDEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// requestIDs makes request IDs from a random prefix and a counter: unique
// across processes without reading random bytes for every request (they
// identify requests; they authorise nothing).
type requestIDs struct {
	prefix  string
	counter atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: requestIDEncoding.EncodeToString(b[:]) + "-"}
}

func (g *requestIDs) next() string {
	var digits [13]byte // the most a uint64 takes in base 36
	n := strconv.AppendUint(digits[:0], g.counter.Add(1), 36)
	var id strings.Builder
	id.Grow(len(g.prefix) + len(n))
	id.WriteString(g.prefix)
	id.Write(n)
	return id.String()
}

// recoverPanics turns a panic into a logged stack trace and a 500 problem,
// so one bad request never takes the server down.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // the client went away; net/http handles this quietly
			}
			stateOf(r.Context()).logger.ErrorContext(r.Context(), "panic serving request",
				"panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path, "stack", string(debug.Stack()))
			writeProblem(w, r, newProblem(http.StatusInternalServerError, "", internalDetail))
		}()
		next.ServeHTTP(w, r)
	})
}

// slowRequest is the duration from which a request is always logged.
const slowRequest = time.Second

// observe records every response in the metrics and, for errors, slow
// requests or every request when so configured, in the access log: at the
// rates public content and visit beacons reach, a line per success would
// cost more than it tells. The log has the path but never the query string
// (it can carry tokens), the client address or the User-Agent.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		elapsed := time.Since(start)

		state := stateOf(r.Context())
		op := state.operation
		if op == "" {
			op = "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				op = rc.RoutePattern()
			}
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.observe(op, r.Method, status, elapsed)
		if !s.accessLogAll && status < 400 && elapsed < slowRequest {
			return
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		state.logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", op),
			slog.Int("status", status),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", elapsed))
	})
}

// Header values shared by every response. They are assigned directly under
// canonical keys (every request pays for these; canonicalising costs), and
// each slice has len == cap so an Add elsewhere copies instead of writing
// into the shared array.
var (
	valueNosniff   = []string{"nosniff"}
	valueDeny      = []string{"DENY"}
	valueAPICSP    = []string{"default-src 'none'; frame-ancestors 'none'"}
	valueNoReferer = []string{"no-referrer"}
	valueHSTS      = []string{"max-age=63072000; includeSubDomains"}
)

// securityHeaders sets headers suitable for a JSON API. The docs page
// replaces the CSP; Cache-Control is set per operation (see cacheControl).
// A conditional GET answered 304 goes without them: a 304 carries only the
// fields that update the stored response (RFC 9110 §15.4.5), and the cache
// keeps the security headers that came with that response (RFC 9111 §4.3.4).
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, conditional := r.Header["If-None-Match"]; conditional {
			next.ServeHTTP(&securityHeaderWriter{ResponseWriter: w, https: s.https}, r)
			return
		}
		setSecurityHeaders(w.Header(), s.https, false)
		next.ServeHTTP(w, r)
	})
}

func setSecurityHeaders(h http.Header, https, keep bool) {
	set := func(key string, value []string) {
		if _, ok := h[key]; !keep || !ok {
			h[key] = value
		}
	}
	set("X-Content-Type-Options", valueNosniff)
	set("X-Frame-Options", valueDeny)
	set("Content-Security-Policy", valueAPICSP)
	set("Referrer-Policy", valueNoReferer)
	if https {
		set("Strict-Transport-Security", valueHSTS)
	}
}

// securityHeaderWriter adds the security headers when the status turns out
// not to be 304, keeping any the handler set itself (the docs page's CSP).
type securityHeaderWriter struct {
	http.ResponseWriter
	https       bool
	wroteHeader bool
}

func (w *securityHeaderWriter) WriteHeader(status int) {
	if !w.wroteHeader && status >= 200 {
		w.wroteHeader = true
		if status != http.StatusNotModified {
			setSecurityHeaders(w.Header(), w.https, true)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *securityHeaderWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *securityHeaderWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestLimits rejects requests whose URI, headers or declared body are too
// big, with a problem rather than net/http's plain-text answer.
func (s *server) requestLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > maxURILength {
			writeProblem(w, r, newProblem(http.StatusRequestURITooLong, "", "the request URI is longer than "+strconv.Itoa(maxURILength)+" bytes"))
			return
		}
		size := 0
		for k, vs := range r.Header {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		if size > maxHeaderBytes {
			writeProblem(w, r, newProblem(http.StatusRequestHeaderFieldsTooLarge, "", "the request headers are larger than "+strconv.Itoa(maxHeaderBytes)+" bytes"))
			return
		}
		limit := s.maxBodyBytes
		if n, ok := s.largeBodies[r.Method+" "+r.URL.Path]; ok {
			limit = n
		}
		if r.ContentLength > limit {
			writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, "", "the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

var valueVaryOrigin = []string{"Origin"}

// withCORS runs the CORS handler only for requests that carry an Origin
// (browsers' cross-origin requests); others just get Vary: Origin, so a
// shared cache keeps CORS and plain answers apart.
func withCORS(corsHandler func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		withHeaders := corsHandler(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, cross := r.Header["Origin"]; cross {
				withHeaders.ServeHTTP(w, r)
				return
			}
			w.Header()["Vary"] = valueVaryOrigin
			next.ServeHTTP(w, r)
		})
	}
}

// notFound and methodNotAllowed answer for the router.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, r, newProblem(http.StatusNotFound, "", "no resource at "+r.URL.Path))
}

// methodNotAllowed answers 405 with the Allow header RFC 9110 requires.
func methodNotAllowed(router chi.Routes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if router.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allowed = append(allowed, m)
				if m == http.MethodGet {
					allowed = append(allowed, http.MethodHead) // served by GetHead
				}
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "", r.Method+" is not allowed on "+r.URL.Path))
	}
}
