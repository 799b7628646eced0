-- name: VisitEventsCopy :copyfrom
INSERT INTO visit_events (ts, visitor_id, name, hostname, pathname, referrer, source, utm_source, utm_medium,
    utm_campaign, utm_content, utm_term, country, device, browser, os, screen_width, props)
VALUES (@ts, @visitor_id, @name, @hostname, @pathname, @referrer, @source, @utm_source, @utm_medium,
    @utm_campaign, @utm_content, @utm_term, @country, @device, @browser, @os, @screen_width, @props);

-- name: VisitPartitionsEnsure :one
SELECT visit_events_ensure_partitions(@from_month::date, @months::integer)::integer AS created;

-- name: VisitPartitionsDropBefore :one
SELECT visit_events_drop_partitions_before(@cutoff::timestamptz)::integer AS dropped;

-- name: VisitPartitionExists :one
SELECT (to_regclass(@name::text) IS NOT NULL)::boolean AS present;

-- name: VisitSaltInsert :exec
INSERT INTO visit_salts (day, salt) VALUES (@day, @salt) ON CONFLICT (day) DO NOTHING;

-- name: VisitSaltGet :one
SELECT salt FROM visit_salts WHERE day = @day;

-- name: VisitSaltsDeleteBefore :execrows
DELETE FROM visit_salts WHERE day < @day;

-- name: VisitEventIDsClaim :many
-- Returns the hashes not seen before; the caller writes only those events.
INSERT INTO visit_event_ids (id_hash) SELECT unnest(@id_hashes::bytea[])
ON CONFLICT (id_hash) DO NOTHING
RETURNING id_hash;

-- name: VisitEventIDsPrune :execrows
DELETE FROM visit_event_ids WHERE received_at < @before;

-- name: VisitWriteBatchInsert :exec
INSERT INTO visit_write_batches (id) VALUES (@id);

-- name: VisitWriteBatchExists :one
SELECT EXISTS (SELECT 1 FROM visit_write_batches WHERE id = @id) AS written;

-- name: VisitWriteBatchesPrune :execrows
DELETE FROM visit_write_batches WHERE written_at < @before;

-- name: VisitBotCountsAdd :exec
INSERT INTO visit_bot_counts (day, reason, count)
SELECT unnest(@days::date[]), unnest(@reasons::text[]), unnest(@counts::bigint[])
ON CONFLICT (day, reason) DO UPDATE SET count = visit_bot_counts.count + excluded.count;

-- name: VisitBotCountsSum :one
SELECT coalesce(sum(count), 0)::bigint AS bots FROM visit_bot_counts WHERE day >= @day_from AND day < @day_to;

-- name: VisitRollupMarkDirty :exec
-- Days arrive sorted, so concurrent writers lock rows in the same order.
INSERT INTO visit_rollup_dirty (day) SELECT unnest(@days::date[])
ON CONFLICT (day) DO UPDATE SET version = visit_rollup_dirty.version + 1;

-- name: VisitRollupDirtyList :many
SELECT day, version FROM visit_rollup_dirty ORDER BY day LIMIT @max_days;

-- name: VisitRollupDirtyClear :execrows
DELETE FROM visit_rollup_dirty WHERE day = @day AND version = @version;

-- name: VisitRollupLockDay :one
-- One rollup of a day at a time, across processes; held until commit.
SELECT pg_try_advisory_xact_lock(hashtext('hpa.visits.rollup'), @day_key::integer) AS locked;

-- name: VisitRollupDeleteDay :exec
DELETE FROM visit_rollups_daily WHERE day = @day;

-- name: VisitRollupDeleteHours :exec
DELETE FROM visit_rollups_hourly WHERE hour >= @day_start AND hour < @day_end;

-- name: VisitRollupDay :one
-- Recounts one site-local day from its raw events (see visit_rollup_day).
SELECT visit_rollup_day(@day::date, @day_start::timestamptz, @day_end::timestamptz)::bigint AS daily_rows;

-- name: VisitRollupLockMonth :exec
-- Months are recomputed one at a time; a second process waits its turn.
SELECT pg_advisory_xact_lock(hashtext('hpa.visits.month'), @month_key::integer);

-- name: VisitRollupDeleteMonth :exec
DELETE FROM visit_rollups_monthly WHERE month = @month;

-- name: VisitRollupMonth :execrows
INSERT INTO visit_rollups_monthly (month, dimension, value, visitors, visits, pageviews, events, bounces, duration)
SELECT @month::date, dimension, value, sum(visitors), sum(visits), sum(pageviews), sum(events), sum(bounces), sum(duration)
FROM visit_rollups_daily
WHERE day >= @month::date AND day < @month_end::date
GROUP BY dimension, value;

-- name: VisitRollupSums :many
-- One dimension's rows summed per value over whole months
-- [month_from, month_to) plus two stretches of days around them.
SELECT r.value, sum(r.visitors)::bigint AS visitors, sum(r.visits)::bigint AS visits, sum(r.pageviews)::bigint AS pageviews,
    sum(r.events)::bigint AS events, sum(r.bounces)::bigint AS bounces, sum(r.duration)::bigint AS duration
FROM (
    SELECT m.value, m.visitors, m.visits, m.pageviews, m.events, m.bounces, m.duration FROM visit_rollups_monthly m
    WHERE m.dimension = @dimension AND m.month >= @month_from AND m.month < @month_to
    UNION ALL
    SELECT d.value, d.visitors, d.visits, d.pageviews, d.events, d.bounces, d.duration FROM visit_rollups_daily d
    WHERE d.dimension = @dimension AND ((d.day >= @head_from AND d.day < @head_to) OR (d.day >= @tail_from AND d.day < @tail_to))
) r
WHERE cardinality(@only_values::text[]) = 0 OR r.value = ANY (@only_values::text[])
GROUP BY r.value;

-- name: VisitRollupDays :many
SELECT day, value, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_daily
WHERE dimension = @dimension AND day >= @day_from AND day < @day_to
    AND (cardinality(@only_values::text[]) = 0 OR value = ANY (@only_values::text[]))
ORDER BY day, value;

-- name: VisitRollupHours :many
SELECT hour, visitors, visits, pageviews, events, bounces, duration FROM visit_rollups_hourly
WHERE hour >= @hour_from AND hour < @hour_to
ORDER BY hour;

-- name: VisitFirstDay :one
SELECT coalesce(min(day), '9999-12-31')::date AS first_day FROM visit_rollups_daily WHERE dimension = '';

-- name: VisitRealtime :one
SELECT count(DISTINCT visitor_id)::bigint AS visitors, count(*) FILTER (WHERE name = 'pageview')::bigint AS pageviews
FROM visit_events WHERE ts >= @since;

-- name: VisitRealtimePages :many
SELECT pathname, count(DISTINCT visitor_id)::bigint AS visitors FROM visit_events
WHERE ts >= @since AND name = 'pageview'
GROUP BY pathname ORDER BY visitors DESC, pathname LIMIT @max_pages;

-- name: VisitCounterSeed :execrows
INSERT INTO visit_counter (baseline) VALUES (@baseline) ON CONFLICT (id) DO NOTHING;

-- name: VisitCounterGet :one
SELECT c.baseline, (SELECT coalesce(sum(m.visits), 0) FROM visit_rollups_monthly m WHERE m.dimension = '')::bigint AS counted
FROM visit_counter c;

-- name: VisitAnalyze :exec
-- Fresh planner statistics after a bulk load (autovacuum does this in time).
ANALYZE visit_events, visit_rollups_daily, visit_rollups_monthly, visit_rollups_hourly;
