-- name: AuditInsert :exec
INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, request_id, details)
VALUES (@actor_type, sqlc.narg(actor_id), @action, sqlc.narg(target_type), sqlc.narg(target_id), sqlc.narg(request_id), @details);

-- name: AuditList :many
-- Newest first; the cursor is the last id of the previous page.
SELECT * FROM audit_events
WHERE (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id))
  AND (sqlc.narg(actor_id)::uuid IS NULL OR actor_id = sqlc.narg(actor_id))
  -- A prefix matches literally: its _ (and any % or \) are escaped, not wildcards.
  AND (sqlc.narg(action)::text IS NULL OR action = sqlc.narg(action)
       OR action LIKE replace(replace(replace(sqlc.narg(action)::text, '\', '\\'), '%', '\%'), '_', '\_') || '.%' ESCAPE '\')
  AND (sqlc.narg(target_type)::text IS NULL OR target_type = sqlc.narg(target_type))
  AND (sqlc.narg(target_id)::text IS NULL OR target_id = sqlc.narg(target_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR occurred_at < sqlc.narg(until))
ORDER BY id DESC
LIMIT @page_size;
