-- A page is public while its status is scheduled or published and its
-- publish_at has passed; @now comes from the service's clock, so a
-- scheduled page goes live on time without any job.

-- name: PageInsert :one
INSERT INTO pages (slug, title, summary, body_markdown, body_html, body_text, headings, meta_description,
                   social_image_url, status, publish_at, author_id, updated_by)
VALUES (@slug, @title, @summary, @body_markdown, @body_html, @body_text, @headings, @meta_description,
        sqlc.narg(social_image_url), @status, sqlc.narg(publish_at), sqlc.narg(author_id), sqlc.narg(author_id))
RETURNING *;

-- name: PageGetBySlug :one
SELECT * FROM pages WHERE slug = @slug;

-- name: PageGetBySlugForUpdate :one
SELECT * FROM pages WHERE slug = @slug FOR UPDATE;

-- name: PageGetPublishedBySlug :one
SELECT * FROM pages
WHERE slug = @slug AND status IN ('scheduled', 'published') AND publish_at <= sqlc.arg(now)::timestamptz;

-- name: PageListPublished :many
-- Newest first; the cursor is the last row's (publish_at, id).
SELECT id, slug, title, summary, meta_description, social_image_url, publish_at, updated_at FROM pages
WHERE status IN ('scheduled', 'published') AND publish_at <= sqlc.arg(now)::timestamptz
  AND (sqlc.narg(after_publish_at)::timestamptz IS NULL
       OR (publish_at, id) < (sqlc.narg(after_publish_at)::timestamptz, sqlc.arg(after_id)::uuid))
ORDER BY publish_at DESC, id DESC
LIMIT @page_size;

-- name: PageListAll :many
-- Every page for editors, most recently changed first; the cursor is the
-- last row's (updated_at, id). status filters on the stored status.
SELECT id, slug, title, summary, status, publish_at, version, updated_at, updated_by FROM pages
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(after_updated_at)::timestamptz IS NULL
       OR (updated_at, id) < (sqlc.narg(after_updated_at)::timestamptz, sqlc.arg(after_id)::uuid))
ORDER BY updated_at DESC, id DESC
LIMIT @page_size;

-- name: PageNextPublishAt :one
-- When the next scheduled page goes live: cached public content must be
-- dropped then.
SELECT publish_at::timestamptz FROM pages
WHERE status IN ('scheduled', 'published') AND publish_at > sqlc.arg(now)::timestamptz
ORDER BY publish_at
LIMIT 1;

-- name: PageUpdate :one
-- Only succeeds on the version the editor read (optimistic concurrency).
UPDATE pages SET
    slug = @slug, title = @title, summary = @summary, body_markdown = @body_markdown, body_html = @body_html,
    body_text = @body_text, headings = @headings, meta_description = @meta_description,
    social_image_url = sqlc.narg(social_image_url), status = @status, publish_at = sqlc.narg(publish_at),
    updated_by = sqlc.narg(updated_by), version = version + 1, updated_at = now()
WHERE id = @id AND version = @version
RETURNING *;

-- name: PageDelete :execrows
DELETE FROM pages WHERE id = @id AND version = @version;

-- name: PageRevisionInsert :exec
INSERT INTO page_revisions (page_id, number, slug, title, summary, body_markdown, meta_description, social_image_url,
                            status, publish_at, changed_fields, restored_from, created_by)
VALUES (@page_id, @number, @slug, @title, @summary, @body_markdown, @meta_description, sqlc.narg(social_image_url),
        @status, sqlc.narg(publish_at), @changed_fields, sqlc.narg(restored_from), sqlc.narg(created_by));

-- name: PageRevisionList :many
-- Newest first; the cursor is the last revision number of the previous page.
SELECT page_id, number, status, changed_fields, restored_from, created_by, created_at FROM page_revisions
WHERE page_id = @page_id AND (sqlc.narg(before_number)::integer IS NULL OR number < sqlc.narg(before_number))
ORDER BY number DESC
LIMIT @page_size;

-- name: PageRevisionGet :one
SELECT * FROM page_revisions WHERE page_id = @page_id AND number = @number;

-- name: PageSearch :many
-- Ranked full-text search over public pages. Matches in the snippet are
-- wrapped in U+E000 and U+E001, private-use characters the service turns
-- into <mark> after escaping the rest.
SELECT p.slug, p.title, p.summary, p.publish_at,
       ts_rank(page_search_vector(p.title, p.summary, p.body_text), q.query)::float8 AS rank,
       ts_headline('english', p.body_text, q.query,
                   'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) ||
                   ', MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "')::text AS snippet
FROM pages p, websearch_to_tsquery('english', @query::text) AS q (query)
WHERE page_search_vector(p.title, p.summary, p.body_text) @@ q.query
  AND p.status IN ('scheduled', 'published') AND p.publish_at <= sqlc.arg(now)::timestamptz
ORDER BY rank DESC, p.id
LIMIT @page_size OFFSET @skip;
