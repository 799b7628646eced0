package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// plan is how long each part of a run lasts.
type plan struct {
	rounds   int           // how many times the whole list of faults is injected
	steady   time.Duration // load before each fault
	restart  time.Duration // PostgreSQL held down
	hang     time.Duration // PostgreSQL not answering
	settle   time.Duration // load after each fault is over
	retryFor time.Duration // how long a retrying client keeps trying
	drain    time.Duration // longest wait for queued work after the load stops
}

var plans = map[string]plan{
	// In CI: each fault once, with short outages (well under two minutes).
	"short": {rounds: 1, steady: 2 * time.Second, restart: time.Second, hang: 11 * time.Second, settle: 3 * time.Second, retryFor: 30 * time.Second, drain: 5 * time.Second},
	// make faults: each fault twice with longer outages, and long enough a
	// drain for River to rescue the jobs a SIGKILL left running (5 min).
	"full": {rounds: 2, steady: 5 * time.Second, restart: 3 * time.Second, hang: 30 * time.Second, settle: 8 * time.Second, retryFor: 60 * time.Second, drain: 7 * time.Minute},
}

// fault is one thing that goes wrong, and how it is put right.
type fault struct {
	name   string
	inject func() // returns once the fault is over
}

// phase is one fault as it happened (phase 0 is the baseline).
type phase struct {
	name             string
	injected, healed time.Time
	end              time.Time
	opportunity      string
}

const webhookSecret = "whsec_faults_suite_secret"

// TestFaults is the reliability suite (see doc.go). Its report goes to the
// test log and, if HPA_FAULTS_REPORT names a file, to that file.
func TestFaults(t *testing.T) {
	mode := os.Getenv("HPA_FAULTS")
	if mode == "" {
		t.Skip("the reliability suite runs with HPA_FAULTS=short or full (make faults-short, make faults)")
	}
	p, ok := plans[mode]
	if !ok {
		t.Fatalf("HPA_FAULTS=%q: want short or full", mode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := time.Now()

	dir := t.TempDir()
	// Build while PostgreSQL starts and migrates: both take seconds.
	type built struct {
		bin string
		err error
	}
	build := make(chan built, 1)
	root := repoRoot(t)
	go func() { b, err := buildService(root, dir); build <- built{b, err} }()
	cluster := pgtest.StartCluster(t)
	dbURL := cluster.NewDatabase(t)
	t.Logf("%s: cluster ready", time.Since(started).Round(time.Millisecond))
	direct, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := startProxy(t, direct.Host)
	through := *direct
	through.Host = db.addr()
	mailbox := mailtest.Start(t)
	b := <-build
	if b.err != nil {
		t.Fatal(b.err)
	}
	svc := newService(t, b.bin, dir, map[string]string{
		"HPA_DATABASE_URL": through.String(), "HPA_DEV_KEYS_FILE": dir + "/dev-keys.env",
		"HPA_RATE_LIMIT": "10000000", "HPA_SIGNUP_RATE_LIMIT": "10000000", "HPA_LOGIN_RATE_LIMIT": "1000",
		"HPA_MAIL_TRANSPORT": "smtp", "HPA_SMTP_HOST": mailbox.Host, "HPA_SMTP_PORT": strconv.Itoa(mailbox.Port),
		"HPA_MAIL_FROM": "HPA <no-reply@hpa.example>", "HPA_SMTP_TIMEOUT": "2s",
		"HPA_STRIPE_SECRET_KEY": "sk_test_faults", "HPA_STRIPE_API_URL": startStripeMock(t, dir), "HPA_STRIPE_WEBHOOK_SECRETS": webhookSecret,
		"HPA_VISITS_HOSTNAMES": "www.faults.example", "HPA_VISITS_VISITOR_RATE_LIMIT": "1000000",
		"HPA_SHUTDOWN_TIMEOUT": "10s", "HPA_LOG_LEVEL": "warn",
	})
	svc.start(ctx)
	t.Logf("%s: service ready", time.Since(started).Round(time.Millisecond))
	d := newDriver(svc.url, mailbox, p.retryFor)
	d.webhookSecret = webhookSecret
	staff := setUp(t, svc, d)

	faults := []fault{
		{"PostgreSQL restart (fast)", func() { cluster.Stop("fast"); time.Sleep(p.restart); cluster.Start() }},
		{"PostgreSQL restart (immediate)", func() { cluster.Stop("immediate"); time.Sleep(p.restart); cluster.Start() }},
		{"PostgreSQL stops answering", func() { db.pause(); time.Sleep(p.hang); db.resume() }},
		{"SIGTERM of the service", func() { svc.stop(syscall.SIGTERM, 40*time.Second); svc.start(ctx) }},
		{"SIGKILL of the service", func() { svc.stop(syscall.SIGKILL, 10*time.Second); svc.start(ctx) }},
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n atomic.Int64
	for _, w := range []struct {
		f       func(context.Context, int64)
		workers int
	}{{d.signup, 2}, {d.partner, 2}, {d.beacon, 3}, {d.batch, 2}, {d.webhook, 2}, {d.register, 2}} {
		for range w.workers {
			wg.Go(func() { loop(stop, 40*time.Millisecond, &n, func(n int64) { w.f(ctx, n) }) })
		}
	}
	wg.Go(func() { d.confirmations(ctx, stop) })

	phases := []*phase{{name: "no fault (baseline)"}}
	phases[0].opportunity = newOpportunity(t, svc, staff(), 0)
	d.opportunity.Store(&phases[0].opportunity)
	time.Sleep(p.steady)
	for round := range p.rounds {
		for _, f := range faults {
			ph := &phase{name: f.name}
			if p.rounds > 1 {
				ph.name = fmt.Sprintf("%s #%d", f.name, round+1)
			}
			phases[len(phases)-1].end = time.Now()
			phases = append(phases, ph)
			ph.opportunity = newOpportunity(t, svc, staff(), len(phases)-1)
			d.opportunity.Store(&ph.opportunity)
			d.phase.Store(int64(len(phases) - 1))
			time.Sleep(p.steady)
			ph.injected = time.Now()
			t.Logf("%s: injecting %s", time.Since(started).Round(time.Millisecond), ph.name)
			f.inject()
			ph.healed = time.Now()
			time.Sleep(p.settle)
		}
	}
	close(stop)
	wg.Wait()
	phases[len(phases)-1].end = time.Now()
	t.Logf("%s: load stopped; waiting up to %s for queued work", time.Since(started).Round(time.Millisecond), p.drain)

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	drain(ctx, t, pool, p.drain)
	r := check(ctx, t, pool, d, phases)
	r.command = "make faults" + map[string]string{"short": "-short", "full": ""}[mode]
	r.took = time.Since(started)
	report := r.markdown()
	t.Log("\n" + report)
	if file := os.Getenv("HPA_FAULTS_REPORT"); file != "" {
		if err := os.WriteFile(file, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, problem := range r.problems() {
		t.Error(problem)
	}
}

// setUp makes an admin and a partner API key through the service, as a
// deployment would, and returns a way to get a fresh staff token.
func setUp(t *testing.T, svc *service, d *driver) (staffToken func() string) {
	t.Helper()
	const email, password = "admin@faults.example", "faults-suite-admin-password"
	if out, err := svc.run(password+"\n", "admin", "create", "--email", email, "--password-stdin"); err != nil {
		t.Fatalf("hpa admin create: %v\n%s", err, out)
	}
	staffToken = func() string {
		var tokens struct {
			AccessToken string `json:"access_token"`
		}
		call(t, svc, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": email, "password": password}, &tokens)
		return tokens.AccessToken
	}
	token := staffToken()
	var org struct {
		ID string `json:"id"`
	}
	call(t, svc, http.MethodPost, "/v1/organisations", token, map[string]string{"name": "Faults Partner"}, &org)
	var key struct {
		Key string `json:"key"`
	}
	call(t, svc, http.MethodPost, "/v1/api-keys", token, map[string]any{"organisation_id": org.ID, "name": "faults",
		"scopes": []string{"members:signup"}, "rate_limit_per_minute": 100000}, &key)
	d.apiKey = key.Key
	return staffToken
}

// eventCapacity is each phase's event's places: far fewer than people
// registering, so it is full while the fault happens.
const eventCapacity = 15

// newOpportunity publishes an online event for phase i.
func newOpportunity(t *testing.T, svc *service, token string, i int) string {
	t.Helper()
	var opp struct {
		ID string `json:"id"`
	}
	call(t, svc, http.MethodPost, "/v1/opportunities", token, map[string]any{"kind": "webinar", "title": fmt.Sprintf("Faults phase %d", i),
		"summary": "Registrations while something fails.", "organiser_name": "HPA", "online": true, "capacity": eventCapacity,
		"starts_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, &opp)
	call(t, svc, http.MethodPost, "/v1/opportunities/"+opp.ID+"/review", token, map[string]string{"action": "publish"}, nil)
	return opp.ID
}

// call makes a set-up request that must succeed.
func call(t *testing.T, svc *service, method, path, token string, body, out any) {
	t.Helper()
	req, err := http.NewRequest(method, svc.url+path, strings.NewReader(string(mustJSON(body))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	if r.StatusCode >= 300 {
		var problem map[string]any
		_ = json.NewDecoder(r.Body).Decode(&problem)
		t.Fatalf("%s %s: %d %v", method, path, r.StatusCode, problem)
	}
	if out != nil {
		if err := json.NewDecoder(r.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
