-- name: EnquiryInsert :exec
-- Name, email and message are sealed by the caller, bound to the ID.
INSERT INTO enquiries (id, name_sealed, email_sealed, message_sealed, email_hash, audience, topic, reply_consent)
VALUES (@id, @name_sealed, @email_sealed, @message_sealed, @email_hash, sqlc.narg(audience), @topic, @reply_consent);

-- name: EnquiryFormTokenUse :execrows
-- A form token sends one enquiry: no row means it was used before.
INSERT INTO enquiry_form_tokens_used (nonce, expires_at) VALUES (@nonce, @expires_at) ON CONFLICT DO NOTHING;

-- name: EnquiryList :many
-- Newest first; the cursor is the last row's (created_at, id).
SELECT id, name_sealed, email_sealed, audience, topic, reply_consent, status, assigned_to, handled_at, created_at FROM enquiries
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(assigned_to)::uuid IS NULL OR assigned_to = sqlc.narg(assigned_to))
  AND (sqlc.narg(after_created_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created_at)::timestamptz, sqlc.arg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: EnquiryGet :one
SELECT * FROM enquiries WHERE id = @id;

-- name: EnquiryUpdate :one
UPDATE enquiries SET
    assigned_to = CASE WHEN sqlc.arg(set_assigned_to)::boolean THEN sqlc.narg(assigned_to) ELSE assigned_to END,
    status      = coalesce(sqlc.narg(status), status),
    handled_at  = CASE WHEN sqlc.narg(status)::text = 'handled' AND status <> 'handled' THEN now()
                       WHEN sqlc.narg(status)::text = 'new' THEN NULL ELSE handled_at END,
    handled_by  = CASE WHEN sqlc.narg(status)::text = 'handled' AND status <> 'handled' THEN sqlc.narg(staff_id)
                       WHEN sqlc.narg(status)::text = 'new' THEN NULL ELSE handled_by END,
    updated_at  = now()
WHERE id = @id
RETURNING *;

-- name: EnquiryDelete :execrows
DELETE FROM enquiries WHERE id = @id;

-- name: EnquiryDeleteByEmailHash :execrows
-- Erasure: every enquiry a person sent from an address.
DELETE FROM enquiries WHERE email_hash = @email_hash;

-- name: EnquiryPurge :execrows
-- Retention: enquiries older than the cut-off go, handled or not.
DELETE FROM enquiries WHERE created_at < @before;

-- name: EnquiryFormTokenPurge :execrows
DELETE FROM enquiry_form_tokens_used WHERE expires_at < @before;

-- name: EnquiriesSealedEmails :many
-- Enquiries whose address can still be opened, in ID order after @after,
-- for re-keying their hashes (hpa keys rehash).
SELECT id, email_sealed, email_hash FROM enquiries
WHERE email_sealed IS NOT NULL AND id > @after ORDER BY id LIMIT @batch;

-- name: EnquirySetEmailHash :exec
UPDATE enquiries SET email_hash = @email_hash WHERE id = @id;
