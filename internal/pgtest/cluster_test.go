package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// A throwaway cluster serves a migrated database, goes away when stopped
// and comes back with its data when started.
func TestClusterStopsAndStarts(t *testing.T) {
	c := pgtest.StartCluster(t)
	url := c.NewDatabase(t)
	ctx := context.Background()
	count := func() (int, error) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM goose_db_version`).Scan(&n)
		return n, err
	}
	before, err := count()
	if err != nil || before == 0 {
		t.Fatalf("migrated database: %d migrations, %v", before, err)
	}
	c.Stop("immediate")
	if _, err := count(); err == nil {
		t.Fatal("the stopped cluster still answers")
	}
	start := time.Now()
	c.Start()
	if after, err := count(); err != nil || after != before {
		t.Fatalf("after a restart: %d migrations (want %d), %v", after, before, err)
	}
	t.Logf("started again in %s", time.Since(start))
}
