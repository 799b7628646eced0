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
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/harmedpatients/hpa/internal/logging"
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
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			id = newRequestID()
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

func newRequestID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return requestIDEncoding.EncodeToString(b[:])
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

// observe records every response in the metrics and the access log. The
// log has the path but never the query string (it can carry tokens), the
// client address or the User-Agent.
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
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = valueNosniff
		h["X-Frame-Options"] = valueDeny
		h["Content-Security-Policy"] = valueAPICSP
		h["Referrer-Policy"] = valueNoReferer
		if s.https {
			h["Strict-Transport-Security"] = valueHSTS
		}
		next.ServeHTTP(w, r)
	})
}

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
		if r.ContentLength > s.maxBodyBytes {
			writeProblem(w, r, newProblem(http.StatusRequestEntityTooLarge, "", "the request body is larger than "+strconv.FormatInt(s.maxBodyBytes, 10)+" bytes"))
			return
		}
		next.ServeHTTP(w, r)
	})
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
