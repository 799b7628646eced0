-- name: VisitImportCreate :one
INSERT INTO visit_imports (format, status, add_to_counter, bytes_total)
VALUES (@format, 'running', @add_to_counter, sqlc.narg(bytes_total))
RETURNING *;

-- name: VisitImportProgress :exec
UPDATE visit_imports SET bytes_read = @bytes_read, rows_read = @rows_read, rows_rejected = @rows_rejected
WHERE id = @id AND status = 'running';

-- name: VisitImportByFile :one
SELECT id FROM visit_imports WHERE file_sha256 = @file_sha256 AND status = 'completed';

-- name: VisitImportFinish :one
UPDATE visit_imports SET status = @status, file_sha256 = sqlc.narg(file_sha256), duplicate_of = sqlc.narg(duplicate_of),
    bytes_read = @bytes_read, rows_read = @rows_read, rows_imported = @rows_imported, rows_skipped = @rows_skipped,
    rows_rejected = @rows_rejected, first_day = sqlc.narg(first_day), last_day = sqlc.narg(last_day),
    visits = @visits, pageviews = @pageviews, problems = @problems, finished_at = now()
WHERE id = @id
RETURNING *;

-- name: VisitImportedDailyAdd :execrows
-- One batch of an import's figures; a batch holds each key at most once,
-- and a key met in an earlier batch adds up.
INSERT INTO visit_imported_daily (import_id, day, dimension, value, visitors, visits, pageviews, events, bounces, duration)
SELECT @import_id, unnest(@days::date[]), unnest(@dimensions::text[]), unnest(@dimension_values::text[]),
    unnest(@visitors::bigint[]), unnest(@visits::bigint[]), unnest(@pageviews::bigint[]), unnest(@events::bigint[]),
    unnest(@bounces::bigint[]), unnest(@durations::bigint[])
ON CONFLICT (import_id, dimension, day, value) DO UPDATE SET
    visitors = visit_imported_daily.visitors + excluded.visitors, visits = visit_imported_daily.visits + excluded.visits,
    pageviews = visit_imported_daily.pageviews + excluded.pageviews, events = visit_imported_daily.events + excluded.events,
    bounces = visit_imported_daily.bounces + excluded.bounces, duration = visit_imported_daily.duration + excluded.duration;

-- name: VisitImportGet :one
SELECT * FROM visit_imports WHERE id = @id;

-- name: VisitImportList :many
SELECT * FROM visit_imports ORDER BY created_at DESC, id LIMIT @max_rows;

-- name: VisitImportDelete :one
-- Marks a completed import deleted (its record stays, so the list shows
-- what was removed) and returns it; its figures go with VisitImportDeleteData.
UPDATE visit_imports SET status = 'deleted', file_sha256 = NULL, finished_at = now()
WHERE id = @id AND status = 'completed'
RETURNING *;

-- name: VisitImportDeleteData :execrows
DELETE FROM visit_imported_daily WHERE import_id = @import_id;

-- name: VisitImportedSums :many
-- One dimension's imported figures summed per value over [day_from, day_to).
SELECT d.value, sum(d.visitors)::bigint AS visitors, sum(d.visits)::bigint AS visits, sum(d.pageviews)::bigint AS pageviews,
    sum(d.events)::bigint AS events, sum(d.bounces)::bigint AS bounces, sum(d.duration)::bigint AS duration
FROM visit_imported_daily d
WHERE d.dimension = @dimension AND d.day >= @day_from AND d.day < @day_to
    AND (cardinality(@only_values::text[]) = 0 OR d.value = ANY (@only_values::text[]))
GROUP BY d.value;

-- name: VisitImportedDays :many
SELECT d.day, d.value, sum(d.visitors)::bigint AS visitors, sum(d.visits)::bigint AS visits, sum(d.pageviews)::bigint AS pageviews,
    sum(d.events)::bigint AS events, sum(d.bounces)::bigint AS bounces, sum(d.duration)::bigint AS duration
FROM visit_imported_daily d
WHERE d.dimension = @dimension AND d.day >= @day_from AND d.day < @day_to
    AND (cardinality(@only_values::text[]) = 0 OR d.value = ANY (@only_values::text[]))
GROUP BY d.day, d.value
ORDER BY d.day, d.value;

-- name: VisitImportedFirstDay :one
SELECT coalesce(min(day), '9999-12-31')::date AS first_day FROM visit_imported_daily WHERE dimension = '';

-- name: VisitImportedCounted :one
-- Imported visits the public counter adds: only on days before native
-- counting began (later days are counted natively), only from imports
-- said to be missing from the historic baseline, and for each day the
-- largest figure any such import gives (two tools' exports of the same
-- day are the same visits, counted once).
SELECT coalesce(sum(v.visits), 0)::bigint AS visits FROM (
    SELECT d.day, max(d.visits) AS visits
    FROM visit_imported_daily d JOIN visit_imports i ON i.id = d.import_id
    WHERE i.add_to_counter AND i.status = 'completed' AND d.dimension = ''
        AND d.day < (SELECT coalesce(min(r.day), '9999-12-31') FROM visit_rollups_daily r WHERE r.dimension = '')
    GROUP BY d.day
) v;

-- name: VisitImportsAbandon :execrows
-- Imports still running long after they began: the process reading them
-- stopped (their figures are written only as an import completes, so none
-- were stored). They are marked failed, so they no longer show as running.
UPDATE visit_imports SET status = 'failed', finished_at = now()
WHERE status = 'running' AND created_at < @started_before;
