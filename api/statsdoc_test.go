package api_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
	"github.com/harmedpatients/hpa/internal/visits/importtest"
)

// shBlock finds the runnable examples in a Markdown document: ```sh blocks
// (```shell blocks are set-up the reader adapts, and are not run).
var shBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// Every example in docs/statistics.md runs, as written, against a server
// loaded with synthetic traffic, and prints an answer.
func TestStatisticsDocExamplesWork(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the documentation examples need %s", tool)
		}
	}
	doc, err := os.ReadFile("../docs/statistics.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 8 {
		t.Fatalf("found %d examples in docs/statistics.md", len(blocks))
	}
	srv := startVisits(t, nil)
	// Traffic from before the campaign example's March 2026 to today.
	days := max(60, int(time.Since(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)).Hours()/24))
	if _, err := srv.App.Visits.Generate(context.Background(), visits.GenerateOptions{
		Pageviews: 20 * days, Days: days, Hostname: "www.example.org", Seed: 3,
	}, nil); err != nil {
		t.Fatal(err)
	}
	for _, g := range []visits.Goal{{Name: "Donated", PagePath: "/donate"}, {Name: "Donate clicked", EventName: "donate-clicked"}} {
		if _, err := srv.App.Visits.CreateGoal(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	token := srv.StaffToken(t, identity.RoleAnalyst)
	// The trustees' link includes a saved funnel (the docs save the donate journey themselves).
	join, err := srv.App.Visits.SaveFunnel(context.Background(), visits.SavedFunnel{Name: "Join journey",
		Steps: []visits.FunnelStep{{Page: "/"}, {Page: "/join"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, share, err := srv.App.Shares.Create(context.Background(), visits.NewShare{Name: "Trustees", Funnels: []uuid.UUID{join.ID}})
	if err != nil {
		t.Fatal(err)
	}
	const password = "a password for the trustees"
	_, locked, err := srv.App.Shares.Create(context.Background(), visits.NewShare{Name: "Partner", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		script := b[1]
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir = t.TempDir()
		writeExports(t, cmd.Dir)
		cmd.Env = append(os.Environ(), "HPA="+srv.URL, "KEY="+key, "TOKEN="+token, "SHARE="+share, "LOCKED="+locked, "PASSWORD="+password)
		out, err := cmd.CombinedOutput()
		text := strings.TrimSpace(string(out))
		if err != nil || text == "" || strings.Contains(text, "null") {
			t.Errorf("example %d failed (%v):\n%s\noutput:\n%s", i+1, err, script, out)
		}
	}
}

// writeExports puts the files the import examples send in dir: a
// GoatCounter export and a Plausible one, of two weeks each in 2025.
func writeExports(t *testing.T, dir string) {
	t.Helper()
	var goat, plausible bytes.Buffer
	if err := importtest.GoatCounter(&goat, 1, date(2025, 1, 6), date(2025, 1, 19)); err != nil {
		t.Fatal(err)
	}
	if err := importtest.Plausible(&plausible, 1, date(2025, 2, 1), date(2025, 2, 14)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"goatcounter-export.csv": goat.Bytes(), "plausible-export.zip": plausible.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
