// Package httpserver runs an http.Server with the service's timeouts and
// shuts it down gracefully: stop accepting, let in-flight requests finish
// (for a bounded time), then return.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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

// Serve serves on ln until ctx is cancelled, then shuts down: the listener
// closes at once and in-flight requests get up to shutdownTimeout to finish.
// It returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration) error {
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", serveErr)
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown did not finish within %s: %w", shutdownTimeout, err)
	}
	return nil
}
