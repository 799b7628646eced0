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
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/db"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/visits"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
)

// App is the assembled service.
type App struct {
	handler  http.Handler
	listener *database.Listener
	jobs     *jobs.Client
	logger   *slog.Logger
	// Visits is exposed for the dev commands and tests.
	Visits *visits.Service
	// Identity is exposed for the admin command and tests.
	Identity *identity.Service
}

// New wires the service over pool. Call Run to start its background work.
func New(cfg *config.Config, pool *pgxpool.Pool, migrator *database.Migrator, logger *slog.Logger) (*App, error) {
	listener := database.NewListener(pool, logger)
	contentService := content.NewService(pool, listener.Listening)
	listener.Subscribe(content.NotifyChannel, contentService.Cache())

	identityService, err := newIdentity(cfg, pool, listener.Listening)
	if err != nil {
		return nil, err
	}
	listener.Subscribe(identity.NotifyChannel, identityService.Cache())
	if cfg.JWTKeysGenerated {
		logger.Warn("HPA_JWT_KEYS is not set: using a random key, so tokens will not survive a restart")
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		database.NewPoolCollector(pool),
	)
	visitService := visits.NewService(pool, cfg.Visits, registry, logger, time.Now)

	// Background work: River workers are registered on this bundle before
	// the client starts; services get the client to enqueue through.
	workers := river.NewWorkers()
	visitService.AddWorkers(workers)
	jobClient, err := jobs.NewClient(pool, workers, visitService.PeriodicJobs(), logger)
	if err != nil {
		return nil, err
	}
	renderer, err := mail.NewRenderer()
	if err != nil {
		return nil, err
	}
	river.AddWorker(workers, mail.NewWorker(renderer, mailTransport(cfg, logger), cfg.MailFrom))

	handler := api.New(api.Options{
		PublicBaseURL:  cfg.PublicBaseURL.String(),
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		RateLimit:      cfg.RateLimit,
		RateWindow:     cfg.RateWindow,
		MetricsToken:   cfg.MetricsToken.Reveal(),
		LoginRateLimit: cfg.LoginRateLimit,
		Logger:         logger,
		Metrics:        registry,
		CountryHeader:  cfg.Visits.CountryHeader,
	}, api.Services{
		Site:     contentService,
		Ready:    database.Readiness{Pool: pool, Migrator: migrator},
		Identity: identityService,
		Audit:    audit.Log{DB: pool},
		Events:   visitService,
		Stats:    visitService,
	}).Handler()
	return &App{handler: handler, listener: listener, jobs: jobClient, logger: logger, Identity: identityService, Visits: visitService}, nil
}

// mailTransport picks SMTP or the development log transport.
func mailTransport(cfg *config.Config, logger *slog.Logger) mail.Transport {
	if cfg.MailTransport == "smtp" {
		return mail.NewSMTP(mail.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword.Reveal(), TLS: cfg.SMTPTLS, Timeout: cfg.SMTPTimeout})
	}
	return mail.Log{Logger: logger}
}

// NewIdentity builds an identity service without caching, for commands
// that run once.
func NewIdentity(cfg *config.Config, pool *pgxpool.Pool) (*identity.Service, error) {
	return newIdentity(cfg, pool, nil)
}

// newIdentity builds the identity service from configuration.
func newIdentity(cfg *config.Config, pool *pgxpool.Pool, live func() bool) (*identity.Service, error) {
	keys := make([]identity.SigningKey, len(cfg.JWTKeys))
	for i, k := range cfg.JWTKeys {
		keys[i] = identity.SigningKey{ID: k.ID, Secret: []byte(k.Secret.Reveal())}
	}
	tokens, err := identity.NewTokens(cfg.PublicBaseURL.String(), keys, time.Now)
	if err != nil {
		return nil, err
	}
	settings := identity.DefaultSettings
	settings.AccessTTL, settings.RefreshTTL = cfg.AccessTokenTTL, cfg.RefreshTokenTTL
	if cfg.Env != config.EnvProduction {
		settings.KeyPrefix = "hpa_test_"
	}
	return identity.NewService(pool, tokens, identity.NewHasher(identity.DefaultArgon2), settings, time.Now, live), nil
}

// Handler is the root HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Run does the background work (change notifications, River jobs, the
// visit writer) until ctx ends, then writes the visit events still
// buffered and lets running jobs finish for up to ten seconds. Cancel ctx
// only once the HTTP server has stopped accepting requests, so that every
// event acknowledged is written.
func (a *App) Run(ctx context.Context) {
	listening := make(chan struct{})
	go func() { a.listener.Run(ctx); close(listening) }()
	a.Visits.Run(ctx)
	if err := a.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		a.logger.Error("job queue did not start", "error", err)
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.jobs.Stop(stopCtx); err != nil {
		a.logger.Warn("job queue stopped with jobs still running", "error", err)
	}
	<-a.Visits.Stopped()
	<-listening
}

// Listening reports whether cache invalidations are being received.
func (a *App) Listening() bool { return a.listener.Listening() }

// SeedReport says what Seed added.
type SeedReport struct {
	SiteProfile  int64
	VisitCounter int64
}

func (r SeedReport) String() string {
	return fmt.Sprintf("%d site profile row(s) added, %d visit counter baseline(s) added", r.SiteProfile, r.VisitCounter)
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
	baseline := text.VisitBaseline
	if cfg.Visits.Baseline >= 0 {
		baseline = cfg.Visits.Baseline
	}
	added, err := visits.SeedBaseline(ctx, pool, baseline)
	if err != nil {
		return SeedReport{}, err
	}
	report := SeedReport{SiteProfile: r.SiteProfile}
	if added {
		report.VisitCounter = 1
	}
	return report, nil
}
