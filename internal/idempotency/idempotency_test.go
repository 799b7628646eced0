package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/idempotency"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// errCut stands for the database connection lost at the worst moment.
var errCut = errors.New("connection cut")

// cutOnComplete is a database whose statement recording a key's response
// fails, in or outside a transaction: the work is done, and then the
// connection is lost before the key says so.
type cutOnComplete struct{ *pgxpool.Pool }

func (c cutOnComplete) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if completes(sql) {
		return pgconn.CommandTag{}, errCut
	}
	return c.Pool.Exec(ctx, sql, args...)
}

func (c cutOnComplete) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := c.Pool.Begin(ctx)
	return cutTx{tx}, err
}

type cutTx struct{ pgx.Tx }

func (c cutTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if completes(sql) {
		return pgconn.CommandTag{}, errCut
	}
	return c.Tx.Exec(ctx, sql, args...)
}

func completes(sql string) bool { return strings.Contains(sql, "SET state = 'completed'") }

// A request whose work was done but whose response could not be recorded
// (the database went away in between) must not be done a second time when
// the client retries, however long after: either the work and its
// response are stored together, or neither is.
func TestWorkIsDoneOnceWhenItsResponseCannotBeRecorded(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE work_done (n int)`); err != nil {
		t.Fatal(err)
	}
	hasher, err := sealed.NewHasher(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	req := idempotency.Request{Scope: "key:partner", Operation: "create-member", Key: "k-1", Body: []byte(`{"email":"a@example.org"}`)}
	work := func(ctx context.Context) (idempotency.Response, error) {
		err := store.WithTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO work_done VALUES (1)`)
			return err
		})
		return idempotency.Response{Status: 202, Body: []byte(`{}`)}, err
	}

	if _, _, err := idempotency.NewStore(cutOnComplete{pool}, hasher, clock).Do(ctx, req, work); !errors.Is(err, errCut) {
		t.Fatalf("first attempt: %v, want the cut connection", err)
	}
	// The client retries, after any lease a dead request held has run out.
	now = now.Add(2 * idempotency.Lease)
	resp, _, err := idempotency.NewStore(pool, hasher, clock).Do(ctx, req, work)
	if err != nil || resp.Status != 202 {
		t.Fatalf("retry: %v %+v", err, resp)
	}
	var done int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM work_done`).Scan(&done); err != nil || done != 1 {
		t.Fatalf("the work was done %d times (%v), want once", done, err)
	}
}
