package members

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Signups queued while signupInsertsAtOnce inserts are under way wait as
// one statement, not one each (each would wait for its own commit's WAL
// flush): 30 signups queued while the table is locked are stored by at
// most signupInsertsAtOnce+1 transactions. Each Signup returns only once
// its own signup is committed: none while the table is locked.
func TestSignupsQueuedTogetherAreInsertedTogether(t *testing.T) {
	t.Parallel()
	s, b := setup(t)
	ctx := context.Background()
	// The lock and the watching go through a pool of their own: the
	// service's may be all taken by the waiting inserts.
	other, err := pgxpool.New(ctx, b.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE member_signup_requests IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const n = 30
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.Signup(ctx, Signup{Email: fmt.Sprintf("together-%d@example.org", i), ConsentVersion: MembershipConsent.Version,
				Source: SourceSite, Profile: Profile{Name: "Ifan Rhys"}})
		}()
	}
	blocked := func() int { // statements waiting for the table
		var n int
		if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); s.inserts.gathered() != n-signupInsertsAtOnce || blocked() != signupInsertsAtOnce; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d signups gathered, %d statements waiting; want %d and %d", s.inserts.gathered(), blocked(), n-signupInsertsAtOnce, signupInsertsAtOnce)
		}
	}
	if len(errs) != 0 {
		t.Fatalf("%d signups returned before they were stored", len(errs))
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var stored, transactions int
	if err := other.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM member_signup_requests`).Scan(&stored, &transactions); err != nil {
		t.Fatal(err)
	}
	if stored != n || transactions > signupInsertsAtOnce+1 {
		t.Errorf("%d signups stored by %d transactions, want %d by at most %d", stored, transactions, n, signupInsertsAtOnce+1)
	}
}

// gathered is how many signups wait for a statement to be free.
func (si *signupInserts) gathered() int {
	si.mu.Lock()
	defer si.mu.Unlock()
	if si.next == nil {
		return 0
	}
	return len(si.next.arg.Ids)
}
