package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// TTL is how long a key and its response are kept.
const TTL = 24 * time.Hour

// inFlightTimeout is how long a first request may run before its key is
// considered abandoned (its process died) and may be claimed again.
const inFlightTimeout = 2 * time.Minute

// MaxKeyLength is the longest key accepted.
const MaxKeyLength = 255

// Store keeps keys and responses in PostgreSQL.
type Store struct {
	db  store.DBTX
	now func() time.Time
}

// New returns a Store over db.
func New(db store.DBTX, now func() time.Time) *Store { return &Store{db: db, now: now} }

// ValidKey reports whether key can be used: 1 to 255 printable ASCII
// characters (a UUID is the usual choice).
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// Do runs fn once per (scope, key). request is what makes two requests the
// same (usually the decoded body); the result is stored as JSON and a
// replay decodes it again. With an empty key fn simply runs.
func Do[T any](ctx context.Context, s *Store, scope, key string, request any, fn func() (T, error)) (result T, replayed bool, err error) {
	if key == "" {
		result, err = fn()
		return result, false, err
	}
	if !ValidKey(key) {
		return result, false, hpa.Invalid("header.Idempotency-Key", "must be 1 to 255 printable ASCII characters, such as a UUID")
	}
	reqJSON, err := json.Marshal(request)
	if err != nil {
		return result, false, fmt.Errorf("idempotency: encode request: %w", err)
	}
	stored, err := s.begin(ctx, scope, key, reqJSON)
	if err != nil {
		return result, false, err
	}
	if stored != nil {
		if err := json.Unmarshal(stored, &result); err != nil {
			return result, false, fmt.Errorf("idempotency: decode stored response: %w", err)
		}
		return result, true, nil
	}
	result, err = fn()
	if err != nil {
		// Let a retry run again; the release must happen even if the
		// request's context is gone.
		if rerr := store.Q.IdempotencyRelease(context.WithoutCancel(ctx), s.db, store.IdempotencyReleaseParams{Scope: scope, Key: key}); rerr != nil {
			return result, false, fmt.Errorf("%w (and releasing the idempotency key failed: %v)", err, rerr)
		}
		return result, false, err
	}
	respJSON, err := json.Marshal(result)
	if err != nil {
		return result, false, fmt.Errorf("idempotency: encode response: %w", err)
	}
	if err := store.Q.IdempotencyComplete(context.WithoutCancel(ctx), s.db, store.IdempotencyCompleteParams{Scope: scope, Key: key, Response: respJSON}); err != nil {
		return result, false, fmt.Errorf("idempotency: store response: %w", err)
	}
	return result, false, nil
}

// begin claims the key, or returns the stored response, or the error the
// rules call for.
func (s *Store) begin(ctx context.Context, scope, key string, request []byte) ([]byte, error) {
	hash := sha256.Sum256(request)
	now := s.now()
	_, err := store.Q.IdempotencyClaim(ctx, s.db, store.IdempotencyClaimParams{
		Scope: scope, Key: key, RequestHash: hash[:], ExpiresAt: now.Add(TTL), AbandonedBefore: now.Add(-inFlightTimeout),
	})
	if err == nil {
		return nil, nil
	}
	if !store.IsNotFound(err) {
		return nil, fmt.Errorf("idempotency: claim key: %w", err)
	}
	row, err := store.Q.IdempotencyGet(ctx, s.db, store.IdempotencyGetParams{Scope: scope, Key: key})
	if store.IsNotFound(err) { // released between the two statements: a retry may claim it
		return nil, hpa.Errorf(hpa.ECONFLICT, "a request with this Idempotency-Key was just abandoned; retry").WithReason("idempotency-request-in-progress")
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency: read key: %w", err)
	}
	if row.Response == nil {
		return nil, hpa.Errorf(hpa.ECONFLICT, "a request with this Idempotency-Key is still being handled; retry shortly").WithReason("idempotency-request-in-progress")
	}
	if !bytes.Equal(row.RequestHash, hash[:]) {
		return nil, (&hpa.Error{Code: hpa.EINVALID, Message: "this Idempotency-Key was already used with a different request body; use a new key for a new request",
			Fields: []hpa.FieldError{{Location: "header.Idempotency-Key", Message: "already used with a different request"}}}).WithReason("idempotency-key-reused")
	}
	return row.Response, nil
}

// Purge deletes expired keys and returns how many.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	n, err := store.Q.IdempotencyPurge(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("idempotency: purge: %w", err)
	}
	return n, nil
}
