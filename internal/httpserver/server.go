// Package httpserver runs an http.Server with the service's timeouts and
// shuts it down gracefully: fail readiness and go on serving while the
// load balancer notices, stop accepting, let in-flight requests finish
// (for a bounded time), then return.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// New returns a server for handler with timeouts that keep slow or idle
// clients from holding connections.
func New(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Large enough that the API's own limits (8 KiB URI, 32 KiB of
		// headers) answer with a problem document before net/http's plain
		// 431 applies.
		MaxHeaderBytes: 256 << 10,
	}
}

// Drain is how a server leaves a load balancer's pool when it is told to
// stop, so that no request is sent to an instance that is going away.
type Drain struct {
	// Begin is called as soon as the signal arrives; the service makes its
	// readiness probe fail then, so the balancer takes it out of the pool.
	Begin func()
	// Delay is how long the server goes on serving after Begin, every
	// answer closing its connection so that clients open their next one
	// to another instance, before it stops accepting: longer than the
	// balancer needs to see the probe fail.
	Delay time.Duration
	// Timeout bounds how long requests in flight when the listener closes
	// may take to finish.
	Timeout time.Duration
}

// Serve serves on ln until ctx is cancelled, then shuts down as d says:
// readiness fails at once, the listener closes d.Delay later, and
// in-flight requests get up to d.Timeout to finish. It returns nil after
// a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, d Drain) error {
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	var draining atomic.Bool
	srv.Handler = closeWhen(&draining, srv.Handler)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	if d.Begin != nil {
		d.Begin()
	}
	if d.Delay > 0 {
		draining.Store(true)
		select {
		case err := <-errc:
			return fmt.Errorf("http server: %w", err)
		case <-time.After(d.Delay):
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.Timeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", serveErr)
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown did not finish within %s: %w", d.Timeout, err)
	}
	return nil
}

// closeWhen makes next's answers close their connections once draining is
// set. Unlike turning keep-alives off, which closes idle connections at
// once (racing a request a proxy is sending on one), this closes each
// connection only after a whole answer that says so.
func closeWhen(draining *atomic.Bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
