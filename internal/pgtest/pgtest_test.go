package pgtest_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/db"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

// The template's fingerprint names what the migrations written in Go put
// in a database (River's schema, the data migrations), so a test database
// is never a stale template missing one of them.
func TestTheTemplateFingerprintNamesEveryGoMigration(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	names := " " + database.GoMigrations() + " "
	var river int
	if err := pool.QueryRow(ctx, `SELECT max(version) FROM river_migration`).Scan(&river); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(" river-schema-%d ", river); !strings.Contains(names, want) {
		t.Errorf("a migrated database has River schema %d; the fingerprint %q does not say so", river, names)
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var unnamed []int64 // Go versions with no data-N in the fingerprint: River's alone
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if files, _ := fs.Glob(db.Migrations, fmt.Sprintf("migrations/%05d_*.sql", v)); len(files) > 0 {
			continue // in db/migrations, which the fingerprint hashes file by file
		}
		if !strings.Contains(names, fmt.Sprintf(" data-%d ", v)) {
			unnamed = append(unnamed, v)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(unnamed) != 1 {
		t.Errorf("goose versions %v are written in Go and not named by the fingerprint %q (only River's may be)", unnamed, names)
	}
}
