// Package api is the HTTP face of the service: huma operations, their
// access policies, error translation, middleware and the OpenAPI document.
// It calls capability packages and never touches SQL or pgx.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/ratelimit"
	"github.com/prometheus/client_golang/prometheus"
)

// ContractVersion is the version of the published API contract. Bump it
// with every change to openapi/openapi.yaml (semantic versioning) and say
// what changed in openapi/CHANGELOG.md. A change that breaks clients
// needs a new major version: `make contract-compat` (in CI) compares the
// contract with the last released one (openapi/released/) using oasdiff.
const ContractVersion = "1.2.0"

// maxBodyBytes caps every request body; operations may set a lower cap.
const maxBodyBytes = 1 << 20

// Options configure the HTTP layer.
type Options struct {
	PublicBaseURL  string
	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	// RateLimit requests per RateWindow are allowed from one client address.
	RateLimit    int
	RateWindow   time.Duration
	MetricsToken string
	// AccessLogAll logs every request; otherwise only errors and slow ones.
	AccessLogAll bool
	// LoginRateLimit is login attempts per client address per minute.
	LoginRateLimit int
	// SignupRateLimit is signups per client address per hour.
	SignupRateLimit int
	Logger          *slog.Logger
	// Metrics receives the HTTP metrics and is served at /metrics; nil
	// disables both.
	Metrics *prometheus.Registry
	// EnquiryRateLimit is enquiries per client address per hour.
	EnquiryRateLimit int
	// CountryHeader names the header a trusted proxy puts the visitor's
	// country in, for visit statistics ("" for none).
	CountryHeader string
}

// Services are the capabilities the API exposes. Any may be nil when only
// the OpenAPI document is wanted.
type Services struct {
	Site        siteReader
	Content     contentService
	Enquiries   enquiryService
	Ready       readinessChecker
	Identity    identityService
	Audit       auditReader
	Members     membersService
	Idempotency idempotencyStore
	Outbox      outboxService
	Engagement  engagementService
	// Donations and GiftAid serve giving.
	Donations *donations.Service
	GiftAid   *giftaid.Service
	// Events and Stats serve visit statistics.
	Events eventCollector
	Stats  statsReader
	// Webhooks are the outgoing webhooks.
	Webhooks webhookService
	// Shares are the shared links to the statistics.
	Shares statsSharer
	// Limits counts the rate limits every instance shares.
	Limits rateLimiter
}

// API is the assembled HTTP handler and its OpenAPI document.
type API struct {
	handler http.Handler
	openapi *huma.OpenAPI
}

type server struct {
	hapi           huma.API
	auth           authenticator
	keyOrigins     keyOriginChecker
	members        memberAuthenticator
	limits         rateLimiter
	logger         *slog.Logger
	accessLogAll   bool
	requestIDs     *requestIDs
	metrics        *httpMetrics
	trustedProxies []netip.Prefix
	https          bool
	maxBodyBytes   int64
	// largeBodies are the operations (by method and path) allowed a
	// larger body than maxBodyBytes: uploads they read as a stream.
	largeBodies map[string]int64
}

// New assembles the API. With zero Options and Services it still describes
// every operation, which is how `hpa openapi` writes the contract.
func New(opts Options, svc Services) *API {
	configureHuma()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var registerer prometheus.Registerer // stays a nil interface without a registry
	if opts.Metrics != nil {
		registerer = opts.Metrics
	}
	s := &server{
		logger:         opts.Logger,
		accessLogAll:   opts.AccessLogAll,
		requestIDs:     newRequestIDs(),
		metrics:        newHTTPMetrics(registerer),
		trustedProxies: opts.TrustedProxies,
		https:          strings.HasPrefix(opts.PublicBaseURL, "https://"),
		maxBodyBytes:   maxBodyBytes,
		limits:         svc.Limits,
	}
	if svc.Identity != nil {
		s.auth = svc.Identity
		s.keyOrigins = svc.Identity
	}
	if svc.Members != nil {
		s.members = svc.Members
	}

	router := chi.NewRouter()
	router.NotFound(notFound)
	router.MethodNotAllowed(methodNotAllowed(router))
	router.Use(s.requestContext, recoverPanics, s.observe, s.securityHeaders, s.requestLimits, middleware.GetHead)
	router.Use(withCORS(cors.Handler(cors.Options{
		AllowOriginFunc:  s.corsOrigin(opts.CORSOrigins),
		AllowedMethods:   []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"},
		AllowedHeaders:   []string{"Accept", "Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-API-Key", "X-Request-ID", "X-Share-Token", "X-Share-Session"},
		ExposedHeaders:   []string{"ETag", "Link", "Location", "Retry-After", "RateLimit", "RateLimit-Policy", "X-Request-ID", "Idempotent-Replayed"},
		AllowCredentials: false,
		MaxAge:           600,
	})))

	router.Use(s.rateLimit(opts.RateLimit, opts.RateWindow), compress)
	if opts.Metrics != nil {
		router.Method(http.MethodGet, "/metrics", metricsHandler(opts.Metrics, opts.MetricsToken))
	}

	hapi := humachi.New(router, humaConfig())
	s.hapi = hapi
	hapi.UseMiddleware(recordOperation, cacheControl, refuseUnknownParameters(hapi), s.authorize, requireContentType(hapi), refuseUnstorableText(hapi))
	registerHealth(hapi, svc.Ready)
	registerSite(hapi, svc.Site)
	registerPages(hapi, svc.Content)
	registerAudiences(hapi, svc.Content)
	registerNavigation(hapi, svc.Site, svc.Content)
	registerSearch(hapi, svc.Content)
	registerEnquiries(hapi, svc.Enquiries, s.limitPerAddress("enquiry", defaultTo(opts.EnquiryRateLimit, 5), time.Hour,
		"too many enquiries from this address; please try again later or write to us by email"))
	registerAuth(hapi, svc.Identity, s.limitPerAddress("login", defaultTo(opts.LoginRateLimit, 10), time.Minute,
		"too many sign-in attempts from this address; wait for the number of seconds in Retry-After"))
	registerStaff(hapi, svc.Identity)
	registerOrganisations(hapi, svc.Identity)
	registerAPIKeys(hapi, svc.Identity)
	registerAudit(hapi, svc.Audit)
	registerMembers(hapi, svc.Members, svc.Identity, svc.Idempotency, s.limitPerAddress("signup", defaultTo(opts.SignupRateLimit, 20), time.Hour,
		"too many signups from this address; try again after the number of seconds in Retry-After"))
	registerMe(hapi, svc.Members)
	registerMemberAdmin(hapi, svc.Members)
	registerOutbox(hapi, svc.Outbox)
	registerOpportunities(hapi, svc.Engagement)
	registerCampaigns(hapi, svc.Donations)
	registerDonations(hapi, svc.Donations, svc.Idempotency)
	registerDonors(hapi, svc.Donations)
	registerMyGiving(hapi, svc.Donations)
	registerReconciliation(hapi, svc.Donations)
	registerLedgerEntries(hapi, svc.Donations)
	registerWebhooks(hapi, svc.Donations)
	registerGiftAid(hapi, svc.GiftAid, svc.Idempotency)
	registerSmallDonations(hapi, svc.Donations, svc.Idempotency)
	registerMyGiftAid(hapi, svc.GiftAid)
	registerEvents(hapi, svc.Events, s, opts.CountryHeader)
	registerStats(hapi, svc.Stats)
	registerStatsShares(hapi, svc.Shares, svc.Stats,
		s.limitPerShare("shared-stats", 120, time.Minute, "this shared link has made too many requests; wait for the number of seconds in Retry-After"),
		s.limitPerShare("share-unlock", 10, time.Minute, "too many attempts at this link's password; wait for the number of seconds in Retry-After"))
	registerWebhookEndpoints(hapi, svc.Webhooks)
	registerMySharing(hapi, svc.Members, svc.Identity)
	s.largeBodies = largeBodies(hapi.OpenAPI())
	documentWebhookEvents(hapi.OpenAPI())
	documentProblemCodes(hapi.OpenAPI())
	documentExamples(hapi.OpenAPI())
	registerSpecAndDocs(router, hapi.OpenAPI())
	return &API{handler: router, openapi: hapi.OpenAPI()}
}

// defaultTo is n, or fallback when n is not positive.
func defaultTo(n, fallback int) int {
	if n <= 0 {
		return fallback
	}
	return n
}

// Handler returns the root HTTP handler.
func (a *API) Handler() http.Handler { return a.handler }

// OpenAPI returns the API description.
func (a *API) OpenAPI() *huma.OpenAPI { return a.openapi }

// recordOperation names the operation serving the request, for metrics and
// the access log.
func recordOperation(ctx huma.Context, next func(huma.Context)) {
	stateOf(ctx.Context()).operation = ctx.Operation().OperationID
	next(ctx)
}

// cacheableKey marks, in an operation's metadata, that the operation sets
// its own Cache-Control (public content); every other response is no-store.
const cacheableKey = "hpa-cacheable"

func cacheControl(ctx huma.Context, next func(huma.Context)) {
	if cacheable, _ := ctx.Operation().Metadata[cacheableKey].(bool); !cacheable {
		ctx.SetHeader("Cache-Control", "no-store")
	}
	next(ctx)
}

// keyOriginChecker knows the browser origins API keys are restricted to.
type keyOriginChecker interface {
	KeyOrigin(ctx context.Context, origin string) (bool, error)
}

// corsOrigin allows browsers on HPA's own sites (configured) and on the
// origins of publishable API keys (a partner's signup page), so such a key
// works from its page: the preflight cannot say which key will follow, so
// a key's origin is allowed for every route. That gives its page nothing
// it could not have anyway: no route accepts cookies (credentials are
// headers the page must hold), and authorize still checks each key's own
// origins.
func (s *server) corsOrigin(configured []string) func(*http.Request, string) bool {
	return func(r *http.Request, origin string) bool {
		lower := strings.ToLower(origin)
		for _, c := range configured {
			// A configured origin may hold one * (https://*.example.org),
			// as the CORS handler allowed before.
			if before, after, wild := strings.Cut(strings.ToLower(c), "*"); lower == strings.ToLower(c) ||
				(wild && len(lower) >= len(before)+len(after) && strings.HasPrefix(lower, before) && strings.HasSuffix(lower, after)) {
				return true
			}
		}
		if s.keyOrigins == nil {
			return false
		}
		ok, err := s.keyOrigins.KeyOrigin(r.Context(), origin)
		return ok && err == nil
	}
}

// unlimitedPaths are never rate limited: an orchestrator polling its probes
// or a Prometheus server scraping must never be refused.
var unlimitedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// rateLimit allows limit requests per window from each client address
// (counted in this instance: see generalLimit), except for requests with
// a valid API key, which count against the key's own allowance.
func (s *server) rateLimit(limit int, window time.Duration) func(http.Handler) http.Handler {
	if limit <= 0 {
		return func(next http.Handler) http.Handler { return s.limitKeys(next, next) }
	}
	limited := s.generalLimit(ratelimit.NewLocal(ratelimit.Policy{Name: "address", Quota: limit, Window: window}, 100_000, time.Now))
	return func(next http.Handler) http.Handler {
		return s.limitKeys(next, limited(next))
	}
}

// limitKeys serves a request with a valid API key (and no bearer token)
// through the key's own per-minute limit, and any other through byAddress.
// A partner's server sends all its requests from one address, and the
// per-address limit, lower than a key's, would otherwise cap every key
// below its own. A missing or wrong key is limited by address like any
// anonymous request.
func (s *server) limitKeys(next, byAddress http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unlimitedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		auth := s.authenticateKey(r)
		if auth == nil || auth.err != nil {
			byAddress.ServeHTTP(w, r)
			return
		}
		if s.limitKey(w, r, auth) {
			next.ServeHTTP(w, r)
		}
	})
}

// authenticateKey authenticates r's API key, if it carries one and no
// bearer token, and remembers the outcome for authorize; nil if there is
// no key to authenticate.
func (s *server) authenticateKey(r *http.Request) *keyAuthentication {
	key := r.Header.Get("X-API-Key")
	if key == "" || s.auth == nil || r.Header.Get("Authorization") != "" {
		return nil
	}
	caller, use, err := s.auth.AuthenticateKey(r.Context(), key)
	auth := &keyAuthentication{key: key, caller: caller, use: use, err: err}
	stateOf(r.Context()).key = auth
	return auth
}
