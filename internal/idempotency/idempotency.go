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
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
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
	db     store.DBTX
	hasher *sealed.Hasher
	now    func() time.Time
}

// NewStore returns a Store. Caller scopes are stored as keyed hashes.
func NewStore(db store.DBTX, hasher *sealed.Hasher, now func() time.Time) *Store {
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
func (s *Store) Do(ctx context.Context, r Request, fn func(ctx context.Context) (Response, error)) (resp Response, replayed bool, err error) {
	c := s.claimOf(r)
	now := s.now()
	_, err = store.Q.IdempotencyClaim(ctx, s.db, store.IdempotencyClaimParams{
		ScopeHash: c.scope, Operation: c.op, Key: c.key, RequestHash: c.hash,
		LeaseExpiresAt: now.Add(Lease), ExpiresAt: now.Add(Retention), Now: now,
	})
	if store.IsNotFound(err) {
		return s.existing(ctx, c)
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

func (s *Store) existing(ctx context.Context, c claim) (Response, bool, error) {
	row, err := store.Q.IdempotencyGet(ctx, s.db, store.IdempotencyGetParams{ScopeHash: c.scope, Operation: c.op, Key: c.key})
	if store.IsNotFound(err) {
		// Released between our claim and this read: the client may retry.
		return Response{}, false, hpa.Errorf(hpa.ECONFLICT, "a request with this Idempotency-Key is being processed; retry shortly").WithReason("idempotency-key-in-use")
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(row.RequestHash, c.hash) && !bytes.Equal(row.RequestHash, c.rawHash) {
		return Response{}, false, hpa.Errorf(hpa.EINVALID, "this Idempotency-Key was already used with a different request body; use a new key for a new request").WithReason("idempotency-key-reused")
	}
	if row.State != "completed" || row.ResponseStatus == nil {
		return Response{}, false, hpa.Errorf(hpa.ECONFLICT, "a request with this Idempotency-Key is being processed; retry shortly").WithReason("idempotency-key-in-use")
	}
	return Response{Status: int(*row.ResponseStatus), Body: row.ResponseBody}, true, nil
}

// Purge deletes keys past their retention and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	return store.Q.IdempotencyPurge(ctx, s.db, s.now())
}

func ptr[T any](v T) *T { return &v }
