package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Q is the stateless query set; every method takes the DBTX to run on.
var Q = New()

// Beginner starts transactions; *pgxpool.Pool and pgx.Tx both satisfy it.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// DB is what a capability runs its queries on and starts transactions
// from: a pool, or a transaction (which starts savepoints).
type DB interface {
	DBTX
	Beginner
}

type outerTxKey struct{}

// WithOuterTx returns a context under which WithTx runs its work inside
// tx (as a savepoint) instead of a transaction of its own, so that the work
// commits with whatever tx does next, or not at all. The idempotency store
// uses it to record a response in the transaction that did the work.
func WithOuterTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, outerTxKey{}, tx)
}

// WithTx runs fn in a transaction, committing if fn returns nil and rolling
// back otherwise (including on panic, which is then re-raised). Under a
// context from WithOuterTx, the transaction is a savepoint of that one.
func WithTx(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) (err error) {
	if outer, ok := ctx.Value(outerTxKey{}).(pgx.Tx); ok {
		db = outer
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// IsNotFound reports whether err says a :one query found no row.
func IsNotFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// IsQueryCanceled reports whether err is a statement cancelled by a
// timeout (statement_timeout or a context deadline).
func IsQueryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pgErr) && pgErr.Code == "57014"
}
