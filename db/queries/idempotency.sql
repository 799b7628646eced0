-- name: IdempotencyClaim :one
-- Inserts a started row, or takes over one whose lease ran out or whose
-- retention expired; returns nothing when another request holds the key.
INSERT INTO idempotency_keys (scope_hash, operation, key, request_hash, state, lease_expires_at, expires_at)
VALUES (@scope_hash, @operation, @key, @request_hash, 'started', @lease_expires_at, @expires_at)
ON CONFLICT (scope_hash, operation, key) DO UPDATE
    SET request_hash = excluded.request_hash, state = 'started', response_status = NULL, response_body = NULL,
        lease_expires_at = excluded.lease_expires_at, expires_at = excluded.expires_at, created_at = now()
    WHERE idempotency_keys.expires_at < sqlc.arg(now)::timestamptz
       OR (idempotency_keys.state = 'started' AND idempotency_keys.lease_expires_at < sqlc.arg(now)::timestamptz
           AND idempotency_keys.request_hash = excluded.request_hash)
RETURNING key;

-- name: IdempotencyGet :one
SELECT * FROM idempotency_keys WHERE scope_hash = @scope_hash AND operation = @operation AND key = @key;

-- name: IdempotencyComplete :exec
UPDATE idempotency_keys SET state = 'completed', response_status = @response_status, response_body = @response_body
WHERE scope_hash = @scope_hash AND operation = @operation AND key = @key;

-- name: IdempotencyRelease :exec
DELETE FROM idempotency_keys WHERE scope_hash = @scope_hash AND operation = @operation AND key = @key AND state = 'started';

-- name: IdempotencyPurge :execrows
DELETE FROM idempotency_keys WHERE expires_at < @before;

-- name: IdempotencyTryLock :one
-- Holds a key for the rest of the transaction; false when another
-- request holds it. The two-int form keeps these locks apart from the
-- single-bigint ones (migrations).
SELECT pg_try_advisory_xact_lock(sqlc.arg(lock_a)::int, sqlc.arg(lock_b)::int);
