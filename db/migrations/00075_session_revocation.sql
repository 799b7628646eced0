-- Access tokens name their session (the refresh-token family, claim sid),
-- so ending a session must reach every API process's cache of revoked
-- sessions at once: revoking refresh tokens announces itself like any
-- other identity change.

-- +goose Up
CREATE TRIGGER refresh_tokens_revoked
    AFTER UPDATE OF revoked_at ON refresh_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();

-- Finds an account's recently revoked sessions when its cache entry loads.
CREATE INDEX refresh_tokens_staff_revoked ON refresh_tokens (staff_id, revoked_at) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX refresh_tokens_staff_revoked;
DROP TRIGGER refresh_tokens_revoked ON refresh_tokens;
