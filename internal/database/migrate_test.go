package database_test

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3/lock"
)

// Several instances starting at once with migrations to apply: one
// applies them, the others go on as soon as it is done (goose's own
// locker tried again only every 5 seconds, so they waited that long).
func TestUpWaitsForTheMigrationLockNoLongerThanItIsHeld(t *testing.T) {
	url := pgtest.EmptyURL(t)
	ctx := context.Background()
	pool, err := database.Open(ctx, url, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := database.NewMigrator(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	applying := time.Since(start)
	if err := m.Down(ctx); err != nil {
		t.Fatal(err)
	}

	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	// The other instance finishes once this one has asked for the lock.
	released := make(chan time.Time, 1)
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var asking bool
			err := holder.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()
				AND pid <> pg_backend_pid() AND query LIKE '%advisory_lock%')`).Scan(&asking)
			if err != nil || asking {
				break
			}
		}
		_, _ = holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID)
		released <- time.Now()
	}()
	n, err := m.Up(ctx)
	done := time.Now()
	if err != nil || n != 1 {
		t.Fatalf("up: %d applied, %v", n, err)
	}
	if waited := done.Sub(<-released); waited > applying+time.Second {
		t.Errorf("up ended %s after the lock was freed, with %s to apply everything: it went on waiting", waited, applying)
	}
}
