-- name: StaffInsert :one
INSERT INTO staff (email, display_name, password_hash, roles, password_changed_at)
VALUES (@email, @display_name, sqlc.narg(password_hash), @roles, CASE WHEN sqlc.narg(password_hash)::text IS NULL THEN NULL ELSE now() END)
RETURNING *;

-- name: StaffGetByID :one
SELECT * FROM staff WHERE id = @id;

-- name: StaffGetByEmail :one
SELECT * FROM staff WHERE email = @email;

-- name: StaffGetForAuth :one
-- What checking an access token needs: the account's status and roles, and
-- the sessions revoked since since (older ones' access tokens have expired).
SELECT s.active, s.roles,
    array(SELECT DISTINCT r.family_id FROM refresh_tokens r
          WHERE r.staff_id = s.id AND r.revoked_at > sqlc.arg(since)::timestamptz)::uuid[] AS revoked_sessions
FROM staff s WHERE s.id = sqlc.arg(id);

-- name: StaffList :many
SELECT * FROM staff ORDER BY lower(display_name), id;

-- name: StaffCountActiveAdmins :one
SELECT count(*) FROM staff WHERE active AND 'admin' = ANY (roles) AND password_hash IS NOT NULL;

-- name: StaffUpdate :one
UPDATE staff SET
    display_name = coalesce(sqlc.narg(display_name), display_name),
    roles        = coalesce(sqlc.narg(roles)::text[], roles),
    active       = coalesce(sqlc.narg(active), active),
    updated_at   = now()
WHERE id = @id
RETURNING *;

-- name: StaffRecordLogin :exec
UPDATE staff SET last_login_at = sqlc.arg(now)::timestamptz,
    password_hash = coalesce(sqlc.narg(password_hash), password_hash)
WHERE id = @id;

-- name: StaffSetPassword :exec
UPDATE staff SET password_hash = sqlc.arg(password_hash)::text, password_changed_at = now(), updated_at = now()
WHERE id = @id;

-- name: LoginFailureCount :one
-- Failures in the current burst: one whose last failure is older than
-- since has ended.
SELECT coalesce((SELECT failures FROM login_failures
                 WHERE email_hash = @email_hash AND last_failure_at > sqlc.arg(since)::timestamptz), 0)::integer AS failures;

-- name: LoginFailureRecord :one
-- Counts a failure, starting a new burst if the last one has ended.
INSERT INTO login_failures AS f (email_hash, failures, first_failure_at, last_failure_at)
VALUES (@email_hash, 1, sqlc.arg(now)::timestamptz, sqlc.arg(now)::timestamptz)
ON CONFLICT (email_hash) DO UPDATE SET
    failures         = CASE WHEN f.last_failure_at > sqlc.arg(since)::timestamptz THEN f.failures + 1 ELSE 1 END,
    first_failure_at = CASE WHEN f.last_failure_at > sqlc.arg(since)::timestamptz THEN f.first_failure_at ELSE excluded.first_failure_at END,
    notified_at      = CASE WHEN f.last_failure_at > sqlc.arg(since)::timestamptz THEN f.notified_at END,
    last_failure_at  = excluded.last_failure_at
RETURNING failures, first_failure_at, (notified_at IS NOT NULL)::boolean AS notified;

-- name: LoginFailureMarkNotified :exec
UPDATE login_failures SET notified_at = sqlc.arg(now)::timestamptz WHERE email_hash = @email_hash;

-- name: LoginFailureClear :exec
DELETE FROM login_failures WHERE email_hash = @email_hash;

-- name: LoginFailureDeleteBefore :execrows
DELETE FROM login_failures WHERE last_failure_at < @before;

-- name: StaffTokenInsert :exec
INSERT INTO staff_tokens (token_hash, staff_id, purpose, expires_at) VALUES (@token_hash, @staff_id, @purpose, @expires_at);

-- name: StaffTokenUse :one
-- Marks a one-time token used; returns nothing if it is unknown, used or expired.
UPDATE staff_tokens SET used_at = sqlc.arg(now)::timestamptz
WHERE token_hash = sqlc.arg(token_hash) AND purpose = sqlc.arg(purpose) AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
RETURNING staff_id;

-- name: RefreshTokenInsert :exec
INSERT INTO refresh_tokens (token_hash, family_id, staff_id, expires_at) VALUES (@token_hash, @family_id, @staff_id, @expires_at);

-- name: RefreshTokenGetForUpdate :one
SELECT * FROM refresh_tokens WHERE token_hash = @token_hash FOR UPDATE;

-- name: RefreshTokenMarkUsed :exec
UPDATE refresh_tokens SET used_at = sqlc.arg(now)::timestamptz WHERE token_hash = @token_hash;

-- name: RefreshTokenRevokeFamily :execrows
UPDATE refresh_tokens SET revoked_at = sqlc.arg(now)::timestamptz WHERE family_id = @family_id AND revoked_at IS NULL;

-- name: RefreshTokenRevokeStaff :execrows
UPDATE refresh_tokens SET revoked_at = sqlc.arg(now)::timestamptz WHERE staff_id = @staff_id AND revoked_at IS NULL;

-- name: RefreshTokenDeleteExpired :execrows
DELETE FROM refresh_tokens WHERE expires_at < @before;

-- name: OrganisationInsert :one
INSERT INTO organisations (name, website, contact_email) VALUES (@name, sqlc.narg(website), sqlc.narg(contact_email)) RETURNING *;

-- name: OrganisationGet :one
SELECT * FROM organisations WHERE id = @id;

-- name: OrganisationList :many
SELECT * FROM organisations ORDER BY lower(name), id;

-- name: APIKeyInsert :one
INSERT INTO api_keys (organisation_id, name, lookup_id, key_hash, scopes, allowed_origins, rate_limit_per_minute, expires_at, created_by)
VALUES (@organisation_id, @name, @lookup_id, @key_hash, @scopes, @allowed_origins, @rate_limit_per_minute, sqlc.narg(expires_at), sqlc.narg(created_by))
RETURNING *;

-- name: APIKeyGetByLookupID :one
SELECT * FROM api_keys WHERE lookup_id = @lookup_id;

-- name: APIKeyGet :one
SELECT * FROM api_keys WHERE id = @id;

-- name: APIKeyList :many
SELECT * FROM api_keys
WHERE (sqlc.narg(organisation_id)::uuid IS NULL OR organisation_id = sqlc.narg(organisation_id))
ORDER BY created_at DESC, id;

-- name: APIKeyRevoke :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, sqlc.arg(now)::timestamptz) WHERE id = @id RETURNING *;

-- name: APIKeyTouch :exec
UPDATE api_keys SET last_used_at = sqlc.arg(now)::timestamptz WHERE id = sqlc.arg(id) AND (last_used_at IS NULL OR last_used_at < sqlc.arg(now)::timestamptz - make_interval(mins => 1));

-- name: APIKeyOriginsLive :many
-- Every browser origin some usable key is restricted to, for CORS.
SELECT DISTINCT unnest(allowed_origins)::text AS origin FROM api_keys
WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now());

-- name: StaffTreasurerEmails :many
-- Where reconciliation reports go (internal/donations asks): active
-- treasurers, or admins if none.
SELECT email FROM staff
WHERE active AND password_hash IS NOT NULL
  AND ('treasurer' = ANY(roles) OR (NOT EXISTS (SELECT 1 FROM staff t WHERE t.active AND 'treasurer' = ANY(t.roles)) AND 'admin' = ANY(roles)))
ORDER BY email;
