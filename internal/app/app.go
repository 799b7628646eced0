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
	"slices"
	"sync/atomic"
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/db"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/idempotency"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/ratelimit"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/visits"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
)

// App is the assembled service.
type App struct {
	handler   http.Handler
	listener  *database.Listener
	jobs      *jobs.Client
	transport mail.Transport
	members   *members.Service
	logger    *slog.Logger
	geo       *visits.GeoIP
	leaving   *atomic.Bool
	// replica is the read replica's pool (nil without one).
	replica *pgxpool.Pool
	// Visits is exposed for the dev commands and tests.
	Visits *visits.Service
	// Shares (the shared links to the statistics) is exposed for tests.
	Shares *visits.Shares
	// Identity is exposed for the admin command and tests.
	Identity *identity.Service
	// Webhooks is exposed for the webhook benchmark.
	Webhooks *webhooks.Service
}

// New wires the service: requests use pool, background work (River's
// jobs, queued signups, email, webhook deliveries) uses work, a pool of its
// own so that a backlog of jobs never holds up requests waiting for a
// connection. Call Run to start the background work.
func New(cfg *config.Config, pool, work *pgxpool.Pool, migrator *database.Migrator, logger *slog.Logger) (*App, error) {
	listener := database.NewListener(pool, logger)
	contentService := content.NewService(pool, content.Deps{Live: listener.Listening}, time.Now)
	listener.Subscribe(content.NotifyChannel, contentService.Cache())

	ring, hasher, err := Sealing(cfg)
	if err != nil {
		return nil, err
	}
	identityService, err := newIdentity(cfg, pool, hasher, listener.Listening)
	if err != nil {
		return nil, err
	}
	listener.Subscribe(identity.NotifyChannel, identityService.Cache())
	if cfg.DevKeysFile != "" {
		made := "reused"
		if cfg.DevKeysCreated {
			made = "created"
		}
		logger.Info("development keys: the JWT, encryption and hash keys not set in the environment come from a file kept across restarts, so tokens and sealed member data survive them",
			"file", cfg.DevKeysFile, "file_was", made)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		database.NewPoolCollector(pool),
	)
	limiter := ratelimit.New(pool, hasher, time.Now)
	visitService := visits.NewService(pool, visits.Deps{Flood: limiter, Metrics: registry, Logger: logger}, cfg.Visits.Settings, time.Now)
	shares := visits.NewShares(pool, identity.NewHasher(identity.DefaultArgon2), nil, time.Now)

	// Background work: services get the client to enqueue through, and
	// register their workers and scheduled jobs before it starts.
	workers := river.NewWorkers()
	jobClient, err := jobs.NewClient(work, workers, []*river.PeriodicJob{jobs.RetentionJob(), jobs.VacuumJob()}, cfg.JobRetention, cfg.MailWorkers, logger)
	if err != nil {
		return nil, err
	}
	renderer, err := mail.NewRenderer(members.Templates, identity.Templates, donations.Templates, engagement.Templates, content.MailTemplates, webhooks.Templates)
	if err != nil {
		return nil, err
	}
	transport, err := mailTransport(cfg, logger)
	if err != nil {
		return nil, err
	}
	sender := mail.NewSender(renderer, transport, cfg.MailFrom)
	river.AddWorker(workers, mail.NewWorker(sender, ring))
	river.AddWorker(workers, mail.ForgetWorker{})
	river.AddWorker(workers, jobs.NewVacuumWorker(work))
	outbox := mail.NewOutbox(jobClient, renderer, ring, hasher)
	river.AddWorker(workers, outbox.ComposeWorker(sender)) // its composers are added below (members)
	identityService.SendEmailWith(outbox, cfg.SiteURL.String())

	webhookService := webhooks.NewService(pool, webhooks.Deps{Work: work, Jobs: jobClient, Ring: ring, Hasher: hasher, Outbox: outbox, Organisations: identityService},
		webhooks.Settings{AllowPrivate: cfg.Webhooks.AllowPrivate, RetryDelays: cfg.Webhooks.RetryDelays, NotifyTo: cfg.EnquiryNotify}, time.Now)
	idempotencyStore := idempotency.NewStore(pool, hasher, time.Now)
	enquiries := content.NewEnquiries(pool, content.EnquiryDeps{Content: contentService, Outbox: outbox, Ring: ring, Hasher: hasher}, enquirySettings(cfg), time.Now)
	membersService := members.NewService(pool, members.Deps{Work: work, Jobs: jobClient, Ring: ring, Hasher: hasher, Tokens: identityService.Tokens(), Outbox: outbox,
		Audiences: contentService},
		members.Settings{
			SiteURL: cfg.SiteURL.String(), APIURL: cfg.PublicBaseURL.String(), ConfirmTTL: 48 * time.Hour, MagicLinkTTL: 15 * time.Minute,
			MemberTokenTTL: cfg.MemberTokenTTL, PendingTTL: cfg.PendingMemberTTL, EmailInterval: cfg.SignupEmailInterval,
		}, time.Now)
	membersService.NotifyPartnersWith(webhookService)
	engagementService := engagement.NewService(pool, engagement.Deps{Jobs: jobClient, Outbox: outbox, Ring: ring, Hasher: hasher,
		Markdown: contentService, Directory: membersService},
		engagement.Settings{SiteURL: cfg.SiteURL.String(), APIURL: cfg.PublicBaseURL.String(), AlertInterval: 7 * 24 * time.Hour}, time.Now)
	engagementService.NotifyOrganisersWith(webhookService)
	river.AddWorker(workers, jobs.NewRetentionWorker(map[string]jobs.Purger{
		"unconfirmed members":  membersService.PurgeUnconfirmed,
		"member tokens":        membersService.PurgeTokens,
		"idempotency keys":     idempotencyStore.Purge,
		"staff refresh tokens": identityService.PurgeExpired,
		"staff login failures": identityService.PurgeLoginFailures,
		"enquiries":            enquiries.Purge,
		"webhook events":       webhookService.Purge,
		"rate limit counts":    limiter.Purge,
	}, logger))
	giftAidService, donationService := newGiving(cfg, pool, membersService, ring, hasher, outbox, jobClient, logger)
	for _, addWorkers := range []func(*river.Workers){visitService.AddWorkers, membersService.AddWorkers, engagementService.AddWorkers,
		webhookService.AddWorkers, donationService.AddWorkers} {
		addWorkers(workers)
	}
	jobClient.PeriodicJobs().AddMany(slices.Concat(visitService.PeriodicJobs(), engagementService.PeriodicJobs(), webhookService.PeriodicJobs(),
		donationService.PeriodicJobs()))
	// The outbox goes last, so that nothing queued by the erasure is left.
	membersService.EraseAlsoWith(engagementService, enquiries, donationService, webhookService, outbox)

	leaving := new(atomic.Bool)
	handler := api.New(api.Options{
		PublicBaseURL:    cfg.PublicBaseURL.String(),
		CORSOrigins:      cfg.CORSOrigins,
		TrustedProxies:   cfg.TrustedProxies,
		RateLimit:        cfg.RateLimit,
		RateWindow:       cfg.RateWindow,
		MetricsToken:     cfg.MetricsToken.Reveal(),
		AccessLogAll:     cfg.AccessLog == "all",
		LoginRateLimit:   cfg.LoginRateLimit,
		SignupRateLimit:  cfg.SignupRateLimit,
		EnquiryRateLimit: cfg.EnquiryRateLimit,
		Logger:           logger,
		Metrics:          registry,
		CountryHeader:    cfg.Visits.CountryHeader,
	}, api.Services{
		Site:        contentService,
		Content:     contentService,
		Enquiries:   enquiries,
		Ready:       readiness{Readiness: database.Readiness{Pool: pool, Migrator: migrator}, leaving: leaving},
		Identity:    identityService,
		Audit:       audit.NewLog(pool),
		Members:     membersService,
		Idempotency: idempotencyStore,
		Outbox:      mail.NewAdmin(outbox, pool),
		Engagement:  engagementService,
		Donations:   donationService,
		GiftAid:     giftAidService,
		Events:      visitService,
		Stats:       visitService,
		Shares:      shares,
		Webhooks:    webhookService,
		Limits:      limiter,
	}).Handler()
	// Opened last, so that no earlier failure leaves it open.
	var geo *visits.GeoIP
	if cfg.Visits.GeoIPPath != "" {
		if geo, err = visits.OpenGeoIP(cfg.Visits.GeoIPPath); err != nil {
			return nil, fmt.Errorf("HPA_VISITS_GEOIP_DB: %w", err)
		}
		visitService.UseGeoIP(geo)
	}
	var replica *pgxpool.Pool
	if readURL := cfg.DatabaseReadURL.Reveal(); readURL != "" {
		if replica, err = database.Open(context.Background(), readURL, cfg.DBMaxConns); err != nil {
			_ = geo.Close()
			return nil, fmt.Errorf("HPA_DATABASE_READ_URL: %w", err)
		}
		registry.MustRegister(database.NewReplicaLagGauge(replica))
		visitService.ReadFrom(replica)
		donationService.ReadFrom(replica)
	}
	return &App{handler: handler, listener: listener, jobs: jobClient, transport: transport, members: membersService, logger: logger, geo: geo, leaving: leaving, replica: replica, Identity: identityService, Visits: visitService, Shares: shares, Webhooks: webhookService}, nil
}

// newGiving builds Gift Aid and donations from configuration.
func newGiving(cfg *config.Config, pool *pgxpool.Pool, directory donations.Directory, ring *sealed.Ring, hasher *sealed.Hasher, outbox *mail.Outbox,
	jobClient *jobs.Client, logger *slog.Logger) (*giftaid.Service, *donations.Service) {
	g := cfg.GiftAid
	giftAidService := giftaid.NewService(pool, giftaid.Deps{Ring: ring}, giftaid.Settings{AggregateMaxPence: g.AggregateMaxPence,
		AccountingYearEnd:     giftaid.YearEnd{Month: g.AccountingYearEnd.Month, Day: g.AccountingYearEnd.Day},
		SmallDonationMaxPence: g.SmallDonationMaxPence, SmallDonationsAnnualLimitPence: g.SmallDonationsAnnualLimitPence}, time.Now)
	secrets := make([]string, len(cfg.StripeWebhookSecrets))
	for i, s := range cfg.StripeWebhookSecrets {
		secrets[i] = s.Reveal()
	}
	linkKeys := make([]donations.LinkKey, len(cfg.JWTKeys))
	for i, k := range cfg.JWTKeys {
		linkKeys[i] = donations.LinkKey{ID: k.ID, Secret: []byte(k.Secret.Reveal())}
	}
	donationService := donations.NewService(pool, donations.Deps{GiftAid: giftAidService, Members: directory, Ring: ring, Hasher: hasher,
		Outbox: outbox, Jobs: jobClient, Logger: logger}, donations.Settings{
		StripeKey: cfg.StripeSecretKey.Reveal(), StripeURL: cfg.StripeAPIURL, WebhookSecrets: secrets, WebhookTolerance: cfg.StripeWebhookTolerance,
		MinPence: cfg.DonationMinPence, MaxPence: cfg.DonationMaxPence, Presets: cfg.DonationPresets, SiteURL: cfg.SiteURL.String(),
		LinkKeys: linkKeys, PublicBaseURL: cfg.PublicBaseURL.String(),
	}, time.Now)
	return giftAidService, donationService
}

// Sealing builds the encryption ring and keyed hasher from configuration.
func Sealing(cfg *config.Config) (*sealed.Ring, *sealed.Hasher, error) {
	keys := make([]sealed.Key, len(cfg.EncryptionKeys))
	for i, k := range cfg.EncryptionKeys {
		keys[i] = sealed.Key{ID: k.ID, Secret: []byte(k.Secret.Reveal())}
	}
	ring, err := sealed.NewRing(keys)
	if err != nil {
		return nil, nil, err
	}
	retired := make([][]byte, len(cfg.RetiredHashKeys))
	for i, k := range cfg.RetiredHashKeys {
		retired[i] = []byte(k.Reveal())
	}
	hasher, err := sealed.NewHasher([]byte(cfg.HashKey.Reveal()), retired...)
	return ring, hasher, err
}

// NewMigrator returns the migrator for pool with the keys from
// configuration, which the migrations that seal personal data need.
func NewMigrator(cfg *config.Config, pool *pgxpool.Pool) (*database.Migrator, error) {
	ring, hasher, err := Sealing(cfg)
	if err != nil {
		return nil, err
	}
	return database.NewMigrator(pool, &database.Sealer{Ring: ring, Hasher: hasher})
}

// mailTransport picks SMTP or the development log transport.
func mailTransport(cfg *config.Config, logger *slog.Logger) (mail.Transport, error) {
	if cfg.MailTransport == "smtp" {
		return mail.NewSMTP(mail.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
			Password: cfg.SMTPPassword.Reveal(), TLS: cfg.SMTPTLS, Timeout: cfg.SMTPTimeout, Connections: cfg.MailWorkers})
	}
	return mail.Log{Logger: logger}, nil
}

// enquirySettings configures the enquiry form. Form tokens are signed
// with keys derived from the JWT keys, so rotating those rotates these.
func enquirySettings(cfg *config.Config) content.EnquirySettings {
	keys := make([][]byte, len(cfg.JWTKeys))
	for i, k := range cfg.JWTKeys {
		keys[i] = content.DeriveFormKey([]byte(k.Secret.Reveal()))
	}
	return content.EnquirySettings{NotifyTo: cfg.EnquiryNotify, MinFillTime: cfg.EnquiryMinFillTime,
		TokenMaxAge: 4 * time.Hour, FormKeys: keys, Retention: cfg.EnquiryRetention}
}

// NewMembers builds the membership service for commands that run once
// (it sends no email and queues no jobs, so it cannot take signups).
func NewMembers(cfg *config.Config, pool *pgxpool.Pool) (*members.Service, error) {
	ring, hasher, err := Sealing(cfg)
	if err != nil {
		return nil, err
	}
	ids, err := newIdentity(cfg, pool, hasher, nil)
	if err != nil {
		return nil, err
	}
	return members.NewService(pool, members.Deps{Ring: ring, Hasher: hasher, Tokens: ids.Tokens()}, members.Settings{}, time.Now), nil
}

// NewIdentity builds an identity service without caching, for commands
// that run once.
func NewIdentity(cfg *config.Config, pool *pgxpool.Pool) (*identity.Service, error) {
	_, hasher, err := Sealing(cfg)
	if err != nil {
		return nil, err
	}
	return newIdentity(cfg, pool, hasher, nil)
}

// newIdentity builds the identity service from configuration.
func newIdentity(cfg *config.Config, pool *pgxpool.Pool, hasher *sealed.Hasher, live func() bool) (*identity.Service, error) {
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
	return identity.NewService(pool, identity.Deps{Tokens: tokens, Passwords: identity.NewHasher(identity.DefaultArgon2), Emails: hasher, Live: live},
		settings, time.Now), nil
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
	signups := make(chan struct{})
	go func() { a.members.RunSignups(ctx, a.logger); close(signups) }()
	<-ctx.Done()
	<-signups
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.jobs.Stop(stopCtx); err != nil {
		a.logger.Warn("job queue stopped with jobs still running", "error", err)
	}
	if smtp, ok := a.transport.(*mail.SMTP); ok {
		smtp.Close()
	}
	<-a.Visits.Stopped()
	if err := a.geo.Close(); err != nil {
		a.logger.Warn("closing the GeoIP database", "error", err)
	}
	if a.replica != nil {
		a.replica.Close()
	}
	<-listening
}

// Jobs is the job queue client, for commands and tests that enqueue work.
func (a *App) Jobs() *jobs.Client { return a.jobs }

// Listening reports whether cache invalidations are being received.
func (a *App) Listening() bool { return a.listener.Listening() }

// SeedReport says what Seed added.
type SeedReport struct {
	content.SeedReport
	VisitCounter int64
}

func (r SeedReport) String() string {
	return fmt.Sprintf("%d site profile row(s), %d page(s), %d audience(s), %d call(s) to action, %d navigation item(s), %d visit counter baseline(s) added",
		r.SiteProfile, r.Pages, r.Audiences, r.CallsToAction, r.NavigationItems, r.VisitCounter)
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
	report := SeedReport{SeedReport: r}
	if added {
		report.VisitCounter = 1
	}
	return report, nil
}
