// Package idempotency lets clients retry POSTs safely: a request carrying
// an Idempotency-Key is done once per caller, and a retry with the same key
// and body gets the first response again. Keys live for a day.
//
// Bodies are compared by meaning, not bytes: the same JSON with its keys
// in another order or other whitespace is the same request.
//
// The protocol follows Stripe's: the same key with a different body is an
// error (422), and a retry that arrives while the first request is still
// running is a conflict (409). A request that fails releases its key, so
// the client can retry; only successful responses are replayed.
//
// Do claims the key, does the work and records its response in one
// transaction, so work is never done twice nor recorded without its
// response, whatever fails when. DoLeased is for work that cannot join
// that transaction (a call to Stripe): it claims the key for a Lease,
// does the work, then records the response; should the database go away
// between the work and the record, a retry after the lease does the work
// again.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Retention is how long a key is remembered; Lease is how long a started
// request may hold its key before a retry may take it over (its process
// must have died).
const (
	Retention = 24 * time.Hour
	Lease     = time.Minute
)

// Store keeps idempotency keys in PostgreSQL.
type Store struct {
	db     store.DB
	hasher *sealed.Hasher
	now    func() time.Time
}

// NewStore returns a Store. Caller scopes are stored as keyed hashes.
func NewStore(db store.DB, hasher *sealed.Hasher, now func() time.Time) *Store {
	return &Store{db: db, hasher: hasher, now: now}
}

// Request identifies one idempotent request.
type Request struct {
	// Scope names the caller ("key:<id>", "staff:<id>", "anon:<address>").
	Scope     string
	Operation string
	Key       string
	Body      []byte
}

// Response is what is replayed.
type Response struct {
	Status int
	Body   []byte
}

type claim struct {
	scope, hash []byte
	// rawHash is the hash of the body's bytes, which keys claimed before
	// bodies were compared by meaning hold.
	rawHash []byte
	op, key string
}

func (s *Store) claimOf(r Request) claim {
	sum, raw := sha256.Sum256(canonical(r.Body)), sha256.Sum256(r.Body)
	return claim{scope: s.hasher.Hash("idempotency-scope", r.Scope), hash: sum[:], rawHash: raw[:], op: r.Operation, key: r.Key}
}

// canonical is body's meaning rather than its bytes, so that a retry
// whose JSON was serialised again (keys in another order, other
// whitespace or escapes) counts as the same request: the JSON decoded
// and encoded again, objects with sorted keys, numbers as written. A body
// that is not JSON is compared as it is.
func canonical(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return body
	}
	return out.Bytes()
}

// Do runs fn once for r: the first request runs it and, if it succeeds,
// stores its response; retries get that response back with replayed set.
// fn's database work must go through store.WithTx with the context it is
// given: it then commits in the transaction that holds the key and records
// the response, so it is stored with its response or not at all. A retry
// while the first request runs is a 409, as with DoLeased.
func (s *Store) Do(ctx context.Context, r Request, fn func(ctx context.Context) (Response, error)) (resp Response, replayed bool, err error) {
	c := s.claimOf(r)
	now := s.now()
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		free, err := store.Q.IdempotencyTryLock(ctx, tx, c.lock())
		if err != nil {
			return fmt.Errorf("lock idempotency key: %w", err)
		}
		if !free {
			return errInUse()
		}
		_, err = store.Q.IdempotencyClaim(ctx, tx, store.IdempotencyClaimParams{
			ScopeHash: c.scope, Operation: c.op, Key: c.key, RequestHash: c.hash,
			LeaseExpiresAt: now.Add(Lease), ExpiresAt: now.Add(Retention), Now: now,
		})
		if store.IsNotFound(err) {
			resp, replayed, err = s.existing(ctx, tx, c)
			return err
		}
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if resp, err = fn(store.WithOuterTx(ctx, tx)); err != nil {
			return err
		}
		if err := store.Q.IdempotencyComplete(ctx, tx, store.IdempotencyCompleteParams{
			ScopeHash: c.scope, Operation: c.op, Key: c.key, ResponseStatus: ptr(int32(resp.Status)), ResponseBody: resp.Body,
		}); err != nil {
			return fmt.Errorf("complete idempotency key: %w", err)
		}
		return nil
	})
	if err != nil {
		return Response{}, false, err
	}
	return resp, replayed, nil
}

// lock is the key's advisory lock: 64 bits of the claim's hash.
func (c claim) lock() store.IdempotencyTryLockParams {
	sum := sha256.Sum256([]byte(string(c.scope) + "\x00" + c.op + "\x00" + c.key))
	return store.IdempotencyTryLockParams{LockA: int32(binary.BigEndian.Uint32(sum[0:4])), LockB: int32(binary.BigEndian.Uint32(sum[4:8]))}
}

func errInUse() error {
	return hpa.Errorf(hpa.ECONFLICT, "a request with this Idempotency-Key is being processed; retry shortly").WithReason(ReasonIdempotencyKeyInUse)
}

// DoLeased is Do for work that reaches outside the database (see the
// package documentation): the key is claimed for a Lease while fn runs.
func (s *Store) DoLeased(ctx context.Context, r Request, fn func(ctx context.Context) (Response, error)) (resp Response, replayed bool, err error) {
	c := s.claimOf(r)
	now := s.now()
	_, err = store.Q.IdempotencyClaim(ctx, s.db, store.IdempotencyClaimParams{
		ScopeHash: c.scope, Operation: c.op, Key: c.key, RequestHash: c.hash,
		LeaseExpiresAt: now.Add(Lease), ExpiresAt: now.Add(Retention), Now: now,
	})
	if store.IsNotFound(err) {
		return s.existing(ctx, s.db, c)
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	resp, err = fn(ctx)
	if err != nil {
		// Release with a context that outlives a cancelled request.
		_ = store.Q.IdempotencyRelease(context.WithoutCancel(ctx), s.db, store.IdempotencyReleaseParams{ScopeHash: c.scope, Operation: c.op, Key: c.key})
		return Response{}, false, err
	}
	if err := store.Q.IdempotencyComplete(context.WithoutCancel(ctx), s.db, store.IdempotencyCompleteParams{
		ScopeHash: c.scope, Operation: c.op, Key: c.key, ResponseStatus: ptr(int32(resp.Status)), ResponseBody: resp.Body,
	}); err != nil {
		return Response{}, false, fmt.Errorf("complete idempotency key: %w", err)
	}
	return resp, false, nil
}

func (s *Store) existing(ctx context.Context, db store.DBTX, c claim) (Response, bool, error) {
	row, err := store.Q.IdempotencyGet(ctx, db, store.IdempotencyGetParams{ScopeHash: c.scope, Operation: c.op, Key: c.key})
	if store.IsNotFound(err) {
		// Released between our claim and this read: the client may retry.
		return Response{}, false, errInUse()
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(row.RequestHash, c.hash) && !bytes.Equal(row.RequestHash, c.rawHash) {
		return Response{}, false, hpa.Errorf(hpa.EINVALID, "this Idempotency-Key was already used with a different request body; use a new key for a new request").WithReason(ReasonIdempotencyKeyReused)
	}
	if row.State != "completed" || row.ResponseStatus == nil {
		return Response{}, false, errInUse()
	}
	return Response{Status: int(*row.ResponseStatus), Body: row.ResponseBody}, true, nil
}

// Purge deletes keys past their retention and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	n, err := store.Q.IdempotencyPurge(ctx, s.db, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}

func ptr[T any](v T) *T { return &v }
