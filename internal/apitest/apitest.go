// Package apitest runs the whole service, as `hpa serve` assembles it, on a
// fresh migrated and seeded database behind a real HTTP listener, and gives
// tests a client that checks every response against the OpenAPI contract.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// Server is a running service on its own database, sending its email to
// an in-process SMTP server (Mail).
type Server struct {
	URL     string
	Mail    *mailtest.Server
	DBURL   string
	Pool    *pgxpool.Pool
	Config  *config.Config
	App     *app.App
	t       testing.TB
	client  *http.Client
	callers callers
	stop    func()
}

// Stop shuts the instance down before the test ends, as an operator stops
// a process: its requests, jobs and pools end. Its database stays.
func (s *Server) Stop() { s.stop() }

// Start runs the service for the test's lifetime. env overrides HPA_*
// variables; the rate limit is lifted unless env sets one.
func Start(t testing.TB, env map[string]string) *Server {
	t.Helper()
	return StartOn(t, pgtest.URL(t), env)
}

// StartOn runs another instance of the service on an existing database,
// as a second API process in production would.
func StartOn(t testing.TB, dbURL string, env map[string]string) *Server {
	t.Helper()
	mailbox := mailtest.Start(t)
	vars := map[string]string{
		"HPA_DATABASE_URL": dbURL, "HPA_RATE_LIMIT": "1000000", "HPA_DEV_KEYS_FILE": devKeysFile(t, dbURL),
		"HPA_MAIL_TRANSPORT": "smtp", "HPA_SMTP_HOST": mailbox.Host, "HPA_SMTP_PORT": strconv.Itoa(mailbox.Port),
		"HPA_MAIL_FROM": "HPA <no-reply@hpa.example>", "HPA_SMTP_TIMEOUT": "2s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := database.Open(ctx, dbURL, 10)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	migrator, err := app.NewMigrator(cfg, pool)
	if err != nil {
		t.Fatalf("migrator: %v", err)
	}
	if _, err := app.Seed(ctx, pool, cfg); err != nil {
		t.Fatalf("seed: %v", err)
	}
	logger := logging.Discard()
	if os.Getenv("HPA_TEST_LOG") != "" { // see what the server logs while debugging a test
		logger = logging.New(os.Stderr, "text", slog.LevelDebug)
	}
	work, err := database.Open(ctx, dbURL, 6)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	a, err := app.New(cfg, pool, work, migrator, logger)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	srv := httptest.NewServer(a.Handler())
	stop := sync.OnceFunc(func() {
		srv.Close()
		cancel()
		<-done
		work.Close()
		pool.Close()
	})
	t.Cleanup(stop)
	s := &Server{URL: srv.URL, Mail: mailbox, DBURL: dbURL, Pool: pool, Config: cfg, App: a, t: t, client: srv.Client(), stop: stop}
	Eventually(t, 5*time.Second, "cache invalidation listener connected", a.Listening)
	return s
}

// devKeysFiles maps a test database to the file its instances take their
// development keys from.
var devKeysFiles sync.Map

// devKeysFile keeps development keys out of the repository, in the first
// instance's temporary directory, and shares them between the instances on
// one database, as production processes share their keys.
func devKeysFile(t testing.TB, dbURL string) string {
	file, _ := devKeysFiles.LoadOrStore(dbURL, filepath.Join(t.TempDir(), "dev-keys.env"))
	return file.(string)
}

// Eventually polls cond until it holds or the deadline passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Response is a response with its body already read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s body %q: %v", r.Request.URL.Path, r.Body, err)
	}
}

// Problem decodes a problem+json body.
func (r *Response) Problem(t testing.TB) api.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: content type %q, want application/problem+json (status %d, body %s)", r.Request.Method, r.Request.URL.Path, ct, r.StatusCode, r.Body)
	}
	var p api.Problem
	r.JSON(t, &p)
	return p
}

// Request describes one call.
type Request struct {
	Method string
	Path   string // may include a query string
	Header http.Header
	Body   any // []byte and string are sent as they are; anything else as JSON
	// Token is sent as a bearer token, APIKey as X-API-Key.
	Token   string
	APIKey  string
	NoCheck bool
}

// Do sends req and checks the response against the contract (unless
// req.NoCheck: for routes outside the contract, such as /docs).
func (s *Server) Do(req Request) *Response {
	s.t.Helper()
	var body io.Reader
	var sent []byte
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		sent = b
	case string:
		sent = []byte(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("encode request: %v", err)
		}
		sent = j
	}
	if req.Body != nil {
		body = bytes.NewReader(sent)
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	httpReq, err := http.NewRequest(req.Method, s.URL+req.Path, body)
	if err != nil {
		s.t.Fatalf("new request: %v", err)
	}
	for k, vs := range req.Header {
		httpReq.Header[k] = vs
	}
	if req.Token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+req.Token)
	}
	if req.APIKey != "" {
		httpReq.Header.Set("X-API-Key", req.APIKey)
	}
	if req.Body != nil && httpReq.Header.Get("Content-Type") == "" {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(httpReq)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("read body: %v", err)
	}
	r := &Response{Response: resp, Body: b}
	if !req.NoCheck {
		CheckContract(s.t, httpReq, r)
		recordExample(httpReq, sent, r)
	}
	return r
}

// Get is Do for a plain GET.
func (s *Server) Get(path string) *Response {
	s.t.Helper()
	return s.Do(Request{Path: path})
}

var (
	contractOnce sync.Once
	contract     validator.Validator
	contractErr  error
)

// CheckContract fails the test if the response (status, headers, body) is
// not one the OpenAPI document describes for that request.
func CheckContract(t testing.TB, req *http.Request, r *Response) {
	t.Helper()
	contractOnce.Do(func() {
		spec, err := api.New(api.Options{}, api.Services{}).OpenAPI().YAML()
		if err != nil {
			contractErr = err
			return
		}
		doc, err := libopenapi.NewDocument(spec)
		if err != nil {
			contractErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			contractErr = errs[0]
			return
		}
		contract = v
	})
	if contractErr != nil {
		t.Fatalf("load contract: %v", contractErr)
	}
	checkProblemCode(t, req, r)
	if r.StatusCode == http.StatusNotModified {
		return // no body to check
	}
	resp := *r.Response
	resp.Body = io.NopCloser(bytes.NewReader(r.Body))
	if ok, errs := contract.ValidateHttpResponse(req, &resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d breaks the contract: %s %s", req.Method, req.URL.Path, r.StatusCode, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", se.FieldPath, se.Reason)
			}
		}
		t.Errorf("body: %s", r.Body)
	}
}
