-- name: VisitShareInsert :one
INSERT INTO visit_shares (name, token_hash, password_hash, reports, expires_at)
VALUES (@name, @token_hash, sqlc.narg(password_hash), @reports::text[], sqlc.narg(expires_at))
RETURNING *;

-- name: VisitShareList :many
SELECT * FROM visit_shares ORDER BY created_at DESC, id;

-- name: VisitShareRevoke :one
-- Revoking twice keeps the first time.
UPDATE visit_shares SET revoked_at = coalesce(revoked_at, @now::timestamptz) WHERE id = @id
RETURNING *;

-- name: VisitShareGetByTokenHash :one
SELECT * FROM visit_shares WHERE token_hash = @token_hash;

-- name: VisitShareSessionInsert :exec
INSERT INTO visit_share_sessions (token_hash, share_id, expires_at) VALUES (@token_hash, @share_id, @expires_at);

-- name: VisitShareSessionValid :one
SELECT EXISTS (
    SELECT 1 FROM visit_share_sessions
    WHERE token_hash = @token_hash AND share_id = @share_id AND expires_at > @now
)::boolean AS valid;

-- name: VisitShareSessionsPurge :execrows
DELETE FROM visit_share_sessions WHERE expires_at <= @now;
