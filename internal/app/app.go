// Package app assembles the service from its parts: the capability
// services over one database pool, the background workers that keep them
// fresh, and the HTTP API in front. `hpa serve` and the end-to-end tests
// build the service the same way, through New.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/db"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// App is the assembled service.
type App struct {
	handler  http.Handler
	listener *database.Listener
}

// New wires the service over pool. Call Run to start its background work.
func New(cfg *config.Config, pool *pgxpool.Pool, migrator *database.Migrator, logger *slog.Logger) *App {
	listener := database.NewListener(pool, logger)
	contentService := content.NewService(pool, listener.Listening)
	listener.Subscribe(content.NotifyChannel, contentService.Cache())

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		database.NewPoolCollector(pool),
	)

	handler := api.New(api.Options{
		PublicBaseURL:  cfg.PublicBaseURL.String(),
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		RateLimit:      cfg.RateLimit,
		RateWindow:     cfg.RateWindow,
		MetricsToken:   cfg.MetricsToken.Reveal(),
		Logger:         logger,
		Metrics:        registry,
	}, api.Services{
		Site:  contentService,
		Ready: database.Readiness{Pool: pool, Migrator: migrator},
	}).Handler()
	return &App{handler: handler, listener: listener}
}

// Handler is the root HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Run does the background work until ctx ends.
func (a *App) Run(ctx context.Context) {
	a.listener.Run(ctx)
}

// Listening reports whether cache invalidations are being received.
func (a *App) Listening() bool { return a.listener.Listening() }

// SeedReport says what Seed added.
type SeedReport struct{ SiteProfile int64 }

func (r SeedReport) String() string {
	return fmt.Sprintf("%d site profile row(s) added", r.SiteProfile)
}

// Seed loads the charity's seed content where it is missing.
func Seed(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config) (SeedReport, error) {
	text, err := content.ParseSeedText(db.SiteText)
	if err != nil {
		return SeedReport{}, err
	}
	r, err := content.Seed(ctx, pool, text, cfg.ContactEmail)
	if err != nil {
		return SeedReport{}, err
	}
	return SeedReport{SiteProfile: r.SiteProfile}, nil
}
