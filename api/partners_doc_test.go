package api_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// Every example in docs/partners.md runs, as written, against a server in
// development mode with a local receiver for the webhook examples; the
// test plays the partner's developer, who reads the endpoint's ID and
// secret from an answer and the headers and body of a delivery.
func TestPartnerGuideExamplesWork(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"curl", "openssl", "xxd", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is not installed")
		}
	}
	doc, err := os.ReadFile("../docs/partners.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 9 {
		t.Fatalf("found %d examples", len(blocks))
	}
	srv := apitest.Start(t, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true"})
	rc := newReceiver(t)
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup, identity.ScopeWebhooksManage)
	dir := t.TempDir()
	env := append(os.Environ(), "HPA_URL="+srv.URL, "HPA_KEY="+key, "RECEIVER_URL="+rc.URL+"/hpa-webhooks")
	var outputs []string
	for i, b := range blocks {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", b[1])
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("example %d failed: %v\n%s\n%s", i+1, err, b[1], out)
		}
		outputs = append(outputs, string(out))
		switch {
		case strings.Contains(b[1], `"$HPA_URL/v1/webhook-endpoints" \`):
			var created createdEndpoint
			if err := json.Unmarshal(out, &created); err != nil || !strings.HasPrefix(created.Secret, "whsec_") {
				t.Fatalf("adding an endpoint answered %s", out)
			}
			env = append(env, "ENDPOINT_ID="+created.Endpoint.ID, "WEBHOOK_SECRET="+created.Secret)
		case strings.Contains(b[1], "/test\""):
			d := rc.waitFor(t, 1)[0]
			// The receiver has it; the next example reads the log, which the
			// sender writes once the receiver has answered.
			apitest.Eventually(t, 10*time.Second, "the test delivery recorded", func() bool {
				return countRows(t, srv, `SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'`) == 1
			})
			if err := os.WriteFile(filepath.Join(dir, "body.json"), d.body, 0o600); err != nil {
				t.Fatal(err)
			}
			env = append(env, "WEBHOOK_ID="+d.header.Get("webhook-id"), "WEBHOOK_TIMESTAMP="+d.header.Get("webhook-timestamp"),
				"WEBHOOK_SIGNATURE="+d.header.Get("webhook-signature"))
		}
	}
	if !strings.Contains(outputs[2], `"status":"received"`) {
		t.Errorf("signup example answered %s", outputs[2])
	}
	if !strings.Contains(strings.ToLower(outputs[3]), "idempotent-replayed: true") {
		t.Errorf("retry example did not replay: %s", outputs[3])
	}
	for i, want := range map[int]string{6: "genuine", 7: `"status":"succeeded"`, 8: "whsec_"} {
		if !strings.Contains(outputs[i], want) {
			t.Errorf("example %d answered %q, want %s in it", i+1, outputs[i], want)
		}
	}
	srv.Mail.WaitFor(t, "sam.jones@example.org", 10*time.Second, nil)

	// The verification example refuses what HPA did not sign.
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(`{"type":"forged"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", blocks[6][1])
	cmd.Env, cmd.Dir = env, dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("the verification example accepted a forged body: %s", out)
	}
}
