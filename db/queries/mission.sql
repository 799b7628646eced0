-- Audiences, calls to action and navigation menus. Each row that points at
-- a page says whether that page is public (@now from the service's clock),
-- so public views can leave out links to drafts.

-- name: AudienceList :many
SELECT a.*, p.slug AS page_slug,
       coalesce(p.status IN ('scheduled', 'published') AND p.publish_at <= sqlc.arg(now)::timestamptz, false)::boolean AS page_public
FROM audiences a LEFT JOIN pages p ON p.id = a.page_id
ORDER BY a.position, a.name;

-- name: AudienceGetByKey :one
SELECT a.*, p.slug AS page_slug,
       coalesce(p.status IN ('scheduled', 'published') AND p.publish_at <= sqlc.arg(now)::timestamptz, false)::boolean AS page_public
FROM audiences a LEFT JOIN pages p ON p.id = a.page_id
WHERE a.key = @key;

-- name: AudienceGetByKeyForUpdate :one
SELECT * FROM audiences WHERE key = @key FOR UPDATE;

-- name: AudienceNextPosition :one
SELECT (coalesce(max(position), 0) + 1)::integer FROM audiences;

-- name: AudienceInsert :one
INSERT INTO audiences (key, name, message, page_id, position)
VALUES (@key, @name, @message, sqlc.narg(page_id), @position)
RETURNING *;

-- name: AudienceInsertIfMissing :execrows
INSERT INTO audiences (key, name, message, page_id, position)
VALUES (@key, @name, @message, sqlc.narg(page_id), @position)
ON CONFLICT (key) DO NOTHING;

-- name: AudienceUpdate :one
UPDATE audiences SET key = @key, name = @name, message = @message, page_id = sqlc.narg(page_id), position = @position,
    version = version + 1, updated_at = now()
WHERE id = @id AND version = @version
RETURNING *;

-- name: AudienceDelete :execrows
DELETE FROM audiences WHERE id = @id AND version = @version;

-- name: CallToActionList :many
SELECT c.*, p.slug AS page_slug,
       coalesce(p.status IN ('scheduled', 'published') AND p.publish_at <= sqlc.arg(now)::timestamptz, false)::boolean AS page_public
FROM calls_to_action c LEFT JOIN pages p ON p.id = c.page_id
ORDER BY c.position, c.key;

-- name: CallToActionDeleteAll :exec
DELETE FROM calls_to_action;

-- name: CallToActionInsert :exec
INSERT INTO calls_to_action (key, title, text, button_label, page_id, url, position)
VALUES (@key, @title, @text, @button_label, sqlc.narg(page_id), sqlc.narg(url), @position);

-- name: CallToActionInsertIfMissing :execrows
INSERT INTO calls_to_action (key, title, text, button_label, page_id, url, position)
VALUES (@key, @title, @text, @button_label, sqlc.narg(page_id), sqlc.narg(url), @position)
ON CONFLICT (key) DO NOTHING;

-- name: NavigationItemList :many
SELECT n.*, p.slug AS page_slug,
       coalesce(p.status IN ('scheduled', 'published') AND p.publish_at <= sqlc.arg(now)::timestamptz, false)::boolean AS page_public
FROM navigation_items n LEFT JOIN pages p ON p.id = n.page_id
ORDER BY n.menu, n.position;

-- name: NavigationItemDeleteMenu :exec
DELETE FROM navigation_items WHERE menu = @menu;

-- name: NavigationItemInsert :exec
INSERT INTO navigation_items (menu, position, label, page_id, url)
VALUES (@menu, @position, @label, sqlc.narg(page_id), sqlc.narg(url));

-- name: NavigationMenuIsEmpty :one
SELECT NOT EXISTS (SELECT 1 FROM navigation_items WHERE menu = @menu)::boolean;

-- name: ContentSeedClaim :execrows
-- Records that a seed item is being loaded; no row means it was loaded
-- before (and may since have been changed or deleted by an editor).
INSERT INTO content_seed (key) VALUES (@key) ON CONFLICT DO NOTHING;

-- name: ContentLockList :exec
-- Serialises replacements of one ordered list (a menu, the calls to
-- action) so two editors' saves cannot interleave.
SELECT pg_advisory_xact_lock(hashtext(@list::text));

-- name: AudienceKeysKnown :many
-- Which of keys name an audience (internal/members checks a signup's).
SELECT key FROM audiences WHERE key = ANY (@keys::text[]);
