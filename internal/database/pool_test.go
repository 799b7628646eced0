package database_test

import (
	"context"
	"testing"

	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/pgtest"
)

// A service started together with its database (after a reboot, or while
// PostgreSQL restarts) waits for it rather than exiting at once, which
// would leave it down for as long as its supervisor backs off.
func TestOpenWaitsForADatabaseThatIsStarting(t *testing.T) {
	cluster := pgtest.StartCluster(t)
	url := cluster.NewDatabase(t)
	cluster.Stop("fast")
	started := make(chan struct{})
	go func() { defer close(started); cluster.Start() }()
	pool, err := database.Open(context.Background(), url, 2)
	<-started // before failing: the cluster must not start after the test's clean-up
	if err != nil {
		t.Fatalf("open while the database starts: %v", err)
	}
	defer pool.Close()
	if err := pool.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
