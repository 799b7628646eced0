// Package stripemock runs stripe-mock (Stripe's official API mock) for
// tests on a free loopback port, and builds and signs webhook events the
// way Stripe does, so the event flow can be driven with fixtures.
//
// The binary is looked up in $HPA_STRIPE_MOCK, the repository's
// .tools/bin (`make tools` installs it), $GOPATH/bin and $PATH. A missing
// binary fails the test: nothing is skipped.
package stripemock

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Start runs stripe-mock until the test ends and returns its base URL.
func Start(t testing.TB) string {
	t.Helper()
	bin := binary()
	if bin == "" {
		t.Fatal("stripe-mock not found: run `make tools` (installs it into .tools/bin) or set HPA_STRIPE_MOCK")
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		listening := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- "http://" + m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case url := <-found:
		return url
	// Starting parses Stripe's whole OpenAPI document: a few seconds of
	// CPU, minutes on a loaded CI machine running tests in parallel.
	case <-time.After(3 * time.Minute):
		t.Fatal("stripe-mock did not start listening within 3 minutes")
		return ""
	}
}

func binary() string {
	if p := os.Getenv("HPA_STRIPE_MOCK"); p != "" {
		return p
	}
	if dir, err := os.Getwd(); err == nil {
		for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if p := filepath.Join(dir, ".tools", "bin", "stripe-mock"); isFile(p) {
					return p
				}
				break
			}
		}
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		if p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock"); isFile(p) {
			return p
		}
	}
	p, _ := exec.LookPath("stripe-mock")
	return p
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Sign returns a Stripe-Signature header for payload signed with each
// secret at time at: "t=<unix>,v1=<hex>[,v1=<hex>…]".
func Sign(payload []byte, at time.Time, secrets ...string) string {
	header := fmt.Sprintf("t=%d", at.Unix())
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d.", at.Unix())
		mac.Write(payload)
		header += ",v1=" + hex.EncodeToString(mac.Sum(nil))
	}
	return header
}

// APIVersion is the API version Event's events are sent in: the one
// stripe-go, and so the code, is written for.
const APIVersion = "2025-08-27.basil"

// Event wraps object as a Stripe event of type typ, in APIVersion.
func Event(id, typ string, created time.Time, object map[string]any) []byte {
	return EventIn(APIVersion, id, typ, created, object)
}

// EventIn wraps object as a Stripe event of type typ sent in API version
// version, as an endpoint pinned to that version receives it.
func EventIn(version, id, typ string, created time.Time, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": version, "created": created.Unix(),
		"livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}
