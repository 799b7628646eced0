-- name: VisitFreshMarkGet :one
-- Fresh rollups of open days: internal/visits/incremental.go, designed in
-- db/migrations/00310_visit_fresh_rollups.sql.
-- rows_current: the day's visit rows count the events of seen too
-- (migration 00420).
SELECT CAST(seen AS text) AS seen, coalesce(CAST(rows_seen AS text) = CAST(seen AS text), false)::boolean AS rows_current
FROM visit_rollup_marks WHERE day = @day;

-- name: VisitFreshMarkSet :exec
-- The day's rollups and visit rows count exactly the events visible in seen.
INSERT INTO visit_rollup_marks (day, seen, rows_seen)
VALUES (@day, CAST(CAST(@seen AS text) AS pg_snapshot), CAST(CAST(@seen AS text) AS pg_snapshot))
ON CONFLICT (day) DO UPDATE SET seen = excluded.seen, rows_seen = excluded.rows_seen, updated_at = now();

-- name: VisitFreshMarkDelete :exec
DELETE FROM visit_rollup_marks WHERE day = @day;

-- name: VisitFreshMarksBefore :many
-- Days still counted incrementally that ended before the given day.
SELECT day FROM visit_rollup_marks WHERE day < @before ORDER BY day;

-- name: VisitFreshMarksRowsBehind :many
-- Days counted incrementally whose visit rows do not count the events of
-- their mark (left behind by a build that did not keep them).
SELECT day FROM visit_rollup_marks
WHERE rows_seen IS NULL OR CAST(rows_seen AS text) <> CAST(seen AS text)
ORDER BY day;

-- name: VisitFreshVisitorsSince :one
-- The visitors with events of the day not visible in seen, and the
-- snapshot (this statement's) up to which they are to be counted.
SELECT pg_current_snapshot()::text AS upto,
    coalesce(array_agg(DISTINCT visitor_id), '{}')::bigint[] AS visitors
FROM visit_events
WHERE xact >= pg_snapshot_xmin(CAST(CAST(@seen AS text) AS pg_snapshot)) AND NOT pg_visible_in_snapshot(xact, CAST(CAST(@seen AS text) AS pg_snapshot))
    AND ts >= @day_start AND ts < @day_end;

-- name: VisitFreshVisitorsAll :one
-- Every visitor of the day, and the snapshot up to which to count them.
SELECT pg_current_snapshot()::text AS upto,
    coalesce(array_agg(DISTINCT visitor_id), '{}')::bigint[] AS visitors
FROM visit_events
WHERE ts >= @day_start AND ts < @day_end;

-- name: VisitFreshApply :many
-- Adds to the day's rollups (and its month's, unless with_month is false)
-- what the visitors' events visible in upto count minus what those
-- visible in seen counted (nothing when seen is NULL), and returns the
-- rows left at zero, which the full recount would not have.
WITH delta AS (
    SELECT c.dimension, c.value, c.hour, sum(c.visitors)::bigint AS visitors, sum(c.visits)::bigint AS visits,
        sum(c.pageviews)::bigint AS pageviews, sum(c.events)::bigint AS events, sum(c.bounces)::bigint AS bounces,
        sum(c.duration)::bigint AS duration
    FROM visit_rollup_delta(@day_start, @day_end, @visitors::bigint[], CAST(CAST(sqlc.narg(seen) AS text) AS pg_snapshot),
        CAST(CAST(@upto AS text) AS pg_snapshot)) AS c (dimension, value, hour, visitors, visits, pageviews, events, bounces, duration)
    GROUP BY c.dimension, c.value, c.hour
    HAVING sum(c.visitors) <> 0 OR sum(c.visits) <> 0 OR sum(c.pageviews) <> 0 OR sum(c.events) <> 0
        OR sum(c.bounces) <> 0 OR sum(c.duration) <> 0
), daily AS (
    INSERT INTO visit_rollups_daily AS r (day, dimension, value, visitors, visits, pageviews, events, bounces, duration)
    SELECT @day::date, d.dimension, d.value, d.visitors, d.visits, d.pageviews, d.events, d.bounces, d.duration
    FROM delta d WHERE d.hour IS NULL
    ON CONFLICT (dimension, day, value) DO UPDATE SET visitors = r.visitors + excluded.visitors,
        visits = r.visits + excluded.visits, pageviews = r.pageviews + excluded.pageviews, events = r.events + excluded.events,
        bounces = r.bounces + excluded.bounces, duration = r.duration + excluded.duration
    RETURNING 'daily'::text AS kind, r.dimension, r.value, NULL::timestamptz AS hour, r.visits = 0 AS zero
), monthly AS (
    INSERT INTO visit_rollups_monthly AS r (month, dimension, value, visitors, visits, pageviews, events, bounces, duration)
    SELECT date_trunc('month', @day::date)::date, d.dimension, d.value, d.visitors, d.visits, d.pageviews, d.events,
        d.bounces, d.duration
    FROM delta d WHERE d.hour IS NULL AND @with_month::boolean
    ON CONFLICT (dimension, month, value) DO UPDATE SET visitors = r.visitors + excluded.visitors,
        visits = r.visits + excluded.visits, pageviews = r.pageviews + excluded.pageviews, events = r.events + excluded.events,
        bounces = r.bounces + excluded.bounces, duration = r.duration + excluded.duration
    RETURNING 'monthly'::text AS kind, r.dimension, r.value, NULL::timestamptz AS hour, r.visits = 0 AS zero
), hourly AS (
    INSERT INTO visit_rollups_hourly AS r (hour, visitors, visits, pageviews, events, bounces, duration)
    SELECT d.hour, d.visitors, d.visits, d.pageviews, d.events, d.bounces, d.duration
    FROM delta d WHERE d.hour IS NOT NULL
    ON CONFLICT (hour) DO UPDATE SET visitors = r.visitors + excluded.visitors,
        visits = r.visits + excluded.visits, pageviews = r.pageviews + excluded.pageviews, events = r.events + excluded.events,
        bounces = r.bounces + excluded.bounces, duration = r.duration + excluded.duration
    RETURNING 'hourly'::text AS kind, NULL::text AS dimension, NULL::text AS value, r.hour, r.events = 0 AS zero
)
SELECT z.kind, coalesce(z.dimension, '')::text AS dimension, coalesce(z.value, '')::text AS value,
    coalesce(z.hour, '-infinity')::timestamptz AS hour
FROM (SELECT * FROM daily UNION ALL SELECT * FROM monthly UNION ALL SELECT * FROM hourly) z
WHERE z.zero;

-- name: VisitFreshDailyZeroDelete :exec
-- Rows at zero are never right, so matching each dimension with each
-- value is as good as matching the pairs.
DELETE FROM visit_rollups_daily
WHERE day = @day AND dimension = ANY (@dimensions::text[]) AND value = ANY (@vals::text[]) AND visits = 0;

-- name: VisitFreshMonthlyZeroDelete :exec
DELETE FROM visit_rollups_monthly
WHERE month = date_trunc('month', @day::date)::date AND dimension = ANY (@dimensions::text[]) AND value = ANY (@vals::text[])
    AND visits = 0;

-- name: VisitFreshHourlyZeroDelete :exec
DELETE FROM visit_rollups_hourly WHERE hour = ANY (@hours::timestamptz[]) AND events = 0;

-- name: VisitFreshSettings :exec
-- For the pass's transaction: no JIT compilation (it costs more than it
-- saves on a pass repeated every second), room to sort in memory, and
-- plans made for the pass's own visitors and day (a generic plan, made
-- after a statement's fifth run, does not know to use the visitor index).
SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true),
    set_config('plan_cache_mode', 'force_custom_plan', true);
