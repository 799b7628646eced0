-- name: IdempotencyClaim :one
-- Claims a key for a new request: inserts it, or takes over a row that
-- expired or whose first request was abandoned (no response after the
-- in-flight timeout). Returns no row when the key is held.
INSERT INTO idempotency_keys (scope, key, request_hash, expires_at)
VALUES (@scope, @key, @request_hash, @expires_at)
ON CONFLICT (scope, key) DO UPDATE
    SET request_hash = excluded.request_hash, response = NULL, created_at = now(), expires_at = excluded.expires_at
    WHERE idempotency_keys.expires_at < now()
       OR (idempotency_keys.response IS NULL AND idempotency_keys.created_at < @abandoned_before)
RETURNING scope;

-- name: IdempotencyGet :one
SELECT request_hash, response FROM idempotency_keys WHERE scope = @scope AND key = @key;

-- name: IdempotencyComplete :exec
UPDATE idempotency_keys SET response = @response WHERE scope = @scope AND key = @key;

-- name: IdempotencyRelease :exec
DELETE FROM idempotency_keys WHERE scope = @scope AND key = @key AND response IS NULL;

-- name: IdempotencyPurge :execrows
DELETE FROM idempotency_keys WHERE expires_at < now();
