-- Shared dashboards: read-only links to aggregate statistics that an admin
-- creates and revokes. Only a hash of each link's token is kept (the token
-- is shown once); a password, when set, is an argon2id hash, and unlocking
-- it gives a short-lived session whose token is likewise kept hashed.

-- +goose Up
CREATE TABLE visit_shares (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    password_hash text,
    -- The reports the link may read; empty for all of them.
    reports       text[] NOT NULL DEFAULT '{}',
    expires_at    timestamptz,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE visit_share_sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    share_id   uuid NOT NULL REFERENCES visit_shares (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX visit_share_sessions_expires ON visit_share_sessions (expires_at);

-- +goose Down
DROP TABLE visit_share_sessions;
DROP TABLE visit_shares;
