package api_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// Every example in docs/partners.md runs, as written, against a server.
func TestPartnerGuideExamplesWork(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	doc, err := os.ReadFile("../docs/partners.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d examples", len(blocks))
	}
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeMembersSignup)
	var outputs []string
	for i, b := range blocks {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", b[1])
		cmd.Env = append(os.Environ(), "HPA_URL="+srv.URL, "HPA_KEY="+key)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("example %d failed: %v\n%s\n%s", i+1, err, b[1], out)
		}
		outputs = append(outputs, string(out))
	}
	if !strings.Contains(outputs[2], `"status":"received"`) {
		t.Errorf("signup example answered %s", outputs[2])
	}
	if !strings.Contains(strings.ToLower(outputs[3]), "idempotent-replayed: true") {
		t.Errorf("retry example did not replay: %s", outputs[3])
	}
	srv.Mail.WaitFor(t, "sam.jones@example.org", 10*time.Second, nil)
}
