-- Rate limits shared by every instance of the service (internal/ratelimit):
-- one row per limited thing (a client address for an operation, an API
-- key, a visitor), counting its hits in the current window. The key is a
-- keyed hash (HPA_HASH_KEY), so no client address is stored; a row is
-- worthless once its window has ended and the hourly retention job
-- deletes it.
--
-- UNLOGGED: counts are written on hot paths and are worth nothing after a
-- crash or a failover, so they skip the WAL (and replication). A crash or a
-- promoted replica starts every window afresh, which lets at most one
-- extra window's worth through.

-- +goose Up
CREATE UNLOGGED TABLE rate_limit_hits (
    bucket         bytea PRIMARY KEY,
    window_ends_at timestamptz NOT NULL,
    hits           integer NOT NULL CHECK (hits >= 0)
);
CREATE INDEX rate_limit_hits_window ON rate_limit_hits (window_ends_at);

-- +goose Down
DROP TABLE rate_limit_hits;
