package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

func runCLI(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, testEnv(t, vars), strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), err
}

// testEnv serves vars as the environment, keeping the development keys a
// command makes in the test's temporary directory, not the repository.
func testEnv(t *testing.T, vars map[string]string) func(string) string {
	if vars["HPA_DEV_KEYS_FILE"] == "" {
		vars = maps.Clone(vars)
		if vars == nil {
			vars = map[string]string{}
		}
		vars["HPA_DEV_KEYS_FILE"] = filepath.Join(t.TempDir(), "dev-keys.env")
	}
	if _, set := vars["HPA_SHUTDOWN_DRAIN_DELAY"]; !set {
		vars = maps.Clone(vars)
		vars["HPA_SHUTDOWN_DRAIN_DELAY"] = "0" // no load balancer to wait for
	}
	return func(k string) string { return vars[k] }
}

func TestVersionAndUsage(t *testing.T) {
	out, err := runCLI(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "hpa ") || !strings.Contains(out, "contract") {
		t.Errorf("version: %q %v", out, err)
	}
	for _, args := range [][]string{nil, {"frobnicate"}, {"migrate"}, {"migrate", "sideways"}, {"openapi", "--bogus"}} {
		if _, err := runCLI(t, nil, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// The committed contract is exactly what the code generates; run
// `make openapi` after changing an operation.
func TestCommittedOpenAPIMatchesTheCode(t *testing.T) {
	out, err := runCLI(t, nil, "openapi")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(committed) {
		t.Fatal("openapi/openapi.yaml is out of date: run `make openapi` and commit the result")
	}
}

func TestOpenAPINeedsNoDatabase(t *testing.T) {
	file := t.TempDir() + "/spec.yaml"
	vars := map[string]string{"HPA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
	if _, err := runCLI(t, vars, "openapi", "-o", file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(b, []byte("components:")) && !bytes.Contains(b, []byte("openapi: 3.1")) {
		t.Errorf("spec file: %v %q", err, b[:min(len(b), 80)])
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	_, err := runCLI(t, map[string]string{"HPA_HTTP_ADDR": "nonsense"}, "migrate", "status")
	if err == nil || !strings.Contains(err.Error(), "HPA_HTTP_ADDR") {
		t.Errorf("err = %v", err)
	}
}

// hpa serve in production with unsafe settings (weak or development secrets) exits
// before touching the database, naming every variable to fix at once.
func TestServeRefusesUnsafeProduction(t *testing.T) {
	zeros := base64.StdEncoding.EncodeToString(make([]byte, 32))
	_, err := runCLI(t, map[string]string{
		"HPA_ENV": "production", "HPA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
		"HPA_JWT_KEYS": "k1:" + zeros, "HPA_ENCRYPTION_KEYS": "e1:" + zeros, "HPA_HASH_KEY": zeros,
		"HPA_STRIPE_SECRET_KEY": "sk_test_123", "HPA_STRIPE_WEBHOOK_SECRETS": "x", "HPA_MAIL_TRANSPORT": "smtp",
		"HPA_SMTP_USERNAME": "hpa", "HPA_SMTP_PASSWORD": "secret", "HPA_SMTP_TLS": "none",
		"HPA_PUBLIC_BASE_URL": "http://api.example.org", "HPA_SITE_URL": "http://www.example.org", "HPA_CORS_ORIGINS": "http://www.example.org",
	}, "serve")
	if err == nil {
		t.Fatal("serve started")
	}
	for _, name := range []string{"HPA_JWT_KEYS", "HPA_ENCRYPTION_KEYS", "HPA_HASH_KEY", "HPA_STRIPE_SECRET_KEY", "HPA_STRIPE_WEBHOOK_SECRETS",
		"HPA_SMTP_TLS", "HPA_PUBLIC_BASE_URL", "HPA_SITE_URL", "HPA_CORS_ORIGINS", "HPA_METRICS_TOKEN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("serve's refusal does not name %s", name)
		}
	}
	if strings.Contains(err.Error(), "connect") {
		t.Errorf("serve reached for the database before refusing: %v", err)
	}
}

func TestMigrateDownStatusUpAndSeed(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t)}
	if out, err := runCLI(t, vars, "migrate", "down"); err != nil || !strings.Contains(out, "rolled back") {
		t.Fatalf("down: %q %v", out, err)
	}
	out, err := runCLI(t, vars, "migrate", "status")
	if err != nil || !strings.Contains(out, "pending") {
		t.Fatalf("status after down: %q %v", out, err)
	}
	if out, err := runCLI(t, vars, "migrate", "up"); err != nil || !strings.Contains(out, "applied 1 migration") {
		t.Fatalf("up: %q %v", out, err)
	}
	if out, err := runCLI(t, vars, "seed"); err != nil || !strings.Contains(out, "1 site profile row(s), 6 page(s), 11 audience(s), 3 call(s) to action, 8 navigation item(s), 1 visit counter baseline(s) added") {
		t.Fatalf("seed: %q %v", out, err)
	}
	if out, err := runCLI(t, vars, "seed"); err != nil || !strings.Contains(out, "0 site profile row(s), 0 page(s), 0 audience(s), 0 call(s) to action, 0 navigation item(s), 0 visit counter baseline(s) added") {
		t.Fatalf("second seed must add nothing: %q %v", out, err)
	}
}

// serve migrates, seeds, answers, and exits cleanly when its context ends
// (as on SIGTERM).
func TestServeStartsAndStopsCleanly(t *testing.T) {
	addr, stop := startServe(t, map[string]string{"HPA_DATABASE_URL": pgtest.URL(t), "HPA_HTTP_ADDR": "127.0.0.1:0"})
	resp, err := http.Get("http://" + addr + "/v1/site")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /v1/site: %d", resp.StatusCode)
	}
	stop()
}

// Restarted (a deploy, a crash, SIGTERM), the service is ready within a
// second when its migrations are current: start-up waits for nothing it
// need not (scripts/bench/startup.sh measures the binary; see
// docs/performance.md).
func TestServeIsReadyWithinASecondOfARestart(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t), "HPA_HTTP_ADDR": "127.0.0.1:0"}
	_, stop := startServe(t, vars) // the first start applies the seed
	stop()
	start := time.Now()
	addr, stop := startServe(t, vars)
	defer stop()
	apitest.Eventually(t, 10*time.Second, "ready after a restart", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if took := time.Since(start); took > time.Second {
		t.Errorf("ready %s after the restart, want under a second", took)
	} else {
		t.Logf("ready %s after the restart", took)
	}
}

// startServe runs `hpa serve` with vars and returns its address and a
// function that stops it as SIGTERM would and waits for a clean exit.
func startServe(t *testing.T, vars map[string]string) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, testEnv(t, vars), strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for addr == "" && lines.Scan() {
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "serving" {
			addr = entry.Addr
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" {
		t.Fatalf("serve never logged its address: %v", <-done)
	}
	return addr, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
}

func TestAdminCreate(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t)}
	out, err := runCLI(t, vars, "admin", "create", "--email", "First.Admin@Example.org")
	if err != nil || !strings.Contains(out, "created staff account") || !strings.Contains(out, "password (shown once") {
		t.Fatalf("generated password: %q %v", out, err)
	}
	var stdout bytes.Buffer
	err = run(t.Context(), []string{"admin", "create", "--email", "editor@example.org", "--role", "editor,analyst", "--password-stdin"},
		testEnv(t, vars), strings.NewReader("a chosen password here\n"), &stdout, io.Discard)
	if err != nil || strings.Contains(stdout.String(), "password (shown once") {
		t.Fatalf("stdin password: %q %v", stdout.String(), err)
	}
	if _, err := runCLI(t, vars, "admin", "create", "--email", "first.admin@example.org"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate: %v", err)
	}
	for _, args := range [][]string{{"admin"}, {"admin", "create"}, {"admin", "create", "--email", "x@example.org", "--role", "king"}} {
		if _, err := runCLI(t, vars, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
	if err := run(t.Context(), []string{"admin", "create", "--email", "weak@example.org", "--password-stdin"},
		testEnv(t, vars), strings.NewReader("short\n"), io.Discard, io.Discard); err == nil {
		t.Error("short password accepted")
	}
}

// `hpa keys rehash` on a migrated database: it needs the retired key, and
// with one it re-keys (here, nothing yet: no one has signed up).
func TestKeysRehash(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t), "HPA_HASH_KEY": strings.Repeat("A", 43)}
	if _, err := runCLI(t, vars, "keys"); !errors.Is(err, errUsage) {
		t.Errorf("keys without a subcommand: %v", err)
	}
	if _, err := runCLI(t, vars, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, vars, "keys", "rehash"); err == nil || !strings.Contains(err.Error(), "HPA_HASH_KEYS_RETIRED") {
		t.Errorf("rehash without the retired key: %v", err)
	}
	vars["HPA_HASH_KEYS_RETIRED"] = strings.Repeat("B", 43)
	if out, err := runCLI(t, vars, "keys", "rehash"); err != nil || !strings.Contains(out, "re-keyed email hashes: 0 members") {
		t.Errorf("rehash: %q %v", out, err)
	}
}
