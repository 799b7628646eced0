package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/visits/importtest"
)

func TestStatsImportCommand(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t)}
	dir := t.TempDir()
	var history bytes.Buffer
	if err := importtest.Daily(&history, 1, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "history.csv")
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(file, history.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("date,visits\n2024-02-01,many\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
		fail bool
	}{
		{[]string{"--format", "csv", file, "--dry-run"}, []string{"csv import (dry run): checked", "15 read, 15 imported", "from 2024-02-01 to 2024-02-03"}, false},
		{[]string{"--format=csv", file}, []string{": completed", "15 imported"}, false},
		{[]string{file, "--format", "csv"}, []string{": duplicate", "already imported as"}, false},
		{[]string{"--format", "csv", bad}, []string{": rejected", "line 2: visits \"many\" is not a whole number"}, true},
	} {
		out, err := runCLI(t, vars, append([]string{"stats", "import"}, c.args...)...)
		if (err != nil) != c.fail {
			t.Errorf("%v: %v\n%s", c.args, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	for _, args := range [][]string{{"stats"}, {"stats", "import", file}, {"stats", "import", "--format", "csv"}, {"stats", "import", "--bogus"}} {
		if _, err := runCLI(t, vars, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
