-- Idempotency keys: a retried POST with the same Idempotency-Key replays
-- the first response instead of doing the work twice.

-- +goose Up
CREATE TABLE idempotency_keys (
    -- A keyed hash of who is calling (an API key, a staff member, a member,
    -- or an anonymous client's address), never the address itself.
    scope_hash       bytea NOT NULL,
    operation        text NOT NULL,
    key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash     bytea NOT NULL,
    state            text NOT NULL CHECK (state IN ('started', 'completed')),
    response_status  integer,
    response_body    bytea,
    -- A started key whose request died is taken over after this.
    lease_expires_at timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope_hash, operation, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
