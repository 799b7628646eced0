-- Idempotency keys (internal/idempotency): the first response to a
-- request carrying an Idempotency-Key, kept 24 hours per caller so a retry
-- gets the same answer instead of doing the work twice.

-- +goose Up
CREATE TABLE idempotency_keys (
    scope         text NOT NULL CHECK (length(scope) BETWEEN 1 AND 200),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash  bytea NOT NULL,
    -- NULL while the first request is still being handled.
    response      bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
