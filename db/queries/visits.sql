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

-- name: VisitWriteBatchClaim :execrows
-- Claims a batch's ID first thing in the transaction that writes it: no row
-- claimed means an earlier attempt committed the batch. An attempt still
-- committing (its client gone mid-COMMIT) holds the ID, so this waits for
-- that attempt's outcome rather than guess.
INSERT INTO visit_write_batches (id) VALUES (@id) ON CONFLICT (id) DO NOTHING;

-- name: VisitQuarantineInsert :exec
INSERT INTO visit_events_quarantine (sqlstate, reason, event) VALUES (@sqlstate, @reason, @event);

-- name: VisitQuarantinePrune :execrows
DELETE FROM visit_events_quarantine WHERE quarantined_at < @before;

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

-- name: VisitQueryFiltered :many
-- Figures per site-local day and value of one dimension ('' for none),
-- counted from raw events, for queries that filter on dimensions other
-- than the one they group by. Sessions are those of visit_rollup_day. A
-- filter keeps the sessions whose value matches; for page and event_name,
-- those that include a matching page or event (is_not and contains_not:
-- that include none). Rows for page and event_name are, as in the
-- rollups, the sessions that include each value; so are rows of a custom
-- property (event:props:NAME, the 1,000 values of a day with most events,
-- the rest as '(other)') and of goals. screen_size is the class of the
-- visit's first screen width. Sessions are cut at site-local midnight, as
-- the rollups count a day at a time.
WITH ev AS (
    SELECT e.ts, e.visitor_id, e.name, e.pathname, e.referrer, e.source, e.utm_source, e.utm_medium, e.utm_campaign,
        e.utm_content, e.utm_term, e.country, e.device, e.browser, e.os, e.screen_width, e.props,
        (e.ts AT TIME ZONE @time_zone::text)::date AS day,
        CASE WHEN e.ts - lag(e.ts) OVER (PARTITION BY e.visitor_id, (e.ts AT TIME ZONE @time_zone::text)::date ORDER BY e.ts)
            <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
    FROM visit_events e
    WHERE e.ts >= @range_start AND e.ts < @range_end
), numbered AS (
    SELECT ev.*, sum(ev.starts) OVER (PARTITION BY ev.visitor_id, ev.day ORDER BY ev.ts ROWS UNBOUNDED PRECEDING) AS session
    FROM ev
), firsts AS (
    -- Each visit's first event, whose values are the visit's.
    SELECT DISTINCT ON (n.visitor_id, n.day, n.session) n.visitor_id, n.day, n.session, n.referrer, n.source, n.utm_source,
        n.utm_medium, n.utm_campaign, n.utm_content, n.utm_term, n.country, n.device, n.browser, n.os,
        CASE WHEN n.screen_width <= 0 THEN '' WHEN n.screen_width < 576 THEN 'Mobile' WHEN n.screen_width < 992 THEN 'Tablet'
            WHEN n.screen_width < 1440 THEN 'Laptop' ELSE 'Desktop' END AS screen_size
    FROM numbered n
    ORDER BY n.visitor_id, n.day, n.session, n.ts
), sessions AS (
    SELECT f.*, a.entry_page, a.pages, a.names, a.props, a.pageviews, a.events, a.duration
    FROM firsts f JOIN (
        SELECT n.visitor_id, n.day, n.session,
            coalesce((array_agg(n.pathname ORDER BY n.ts) FILTER (WHERE n.name = 'pageview'))[1], '') AS entry_page,
            coalesce(array_agg(DISTINCT n.pathname) FILTER (WHERE n.name = 'pageview'), '{}') AS pages,
            array_agg(DISTINCT n.name) AS names,
            coalesce(array_agg(n.props) FILTER (WHERE n.props IS NOT NULL), '{}') AS props,
            count(*) FILTER (WHERE n.name = 'pageview') AS pageviews,
            count(*) AS events,
            extract(epoch FROM max(n.ts) - min(n.ts))::bigint AS duration
        FROM numbered n
        GROUP BY n.visitor_id, n.day, n.session
    ) a ON a.visitor_id = f.visitor_id AND a.day = f.day AND a.session = f.session
), valued AS (
    SELECT s.*, CASE @dimension::text
            WHEN 'entry_page' THEN s.entry_page WHEN 'source' THEN s.source WHEN 'referrer' THEN s.referrer
            WHEN 'utm_source' THEN s.utm_source WHEN 'utm_medium' THEN s.utm_medium WHEN 'utm_campaign' THEN s.utm_campaign
            WHEN 'utm_content' THEN s.utm_content WHEN 'utm_term' THEN s.utm_term WHEN 'country' THEN s.country
            WHEN 'device' THEN s.device WHEN 'browser' THEN s.browser WHEN 'os' THEN s.os
            WHEN 'screen_size' THEN s.screen_size ELSE '' END AS value
    FROM sessions s
    -- Filters arrive as clauses (conjunctive normal form): a session is
    -- kept when every clause has a comparison that holds. A comparison
    -- holds when a value of the session matches, or (negate) when none does.
    WHERE NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(@filters::jsonb) c
        WHERE NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(c) f
            CROSS JOIN LATERAL (SELECT CASE f->>'dimension'
                    WHEN 'page' THEN s.pages WHEN 'event_name' THEN s.names
                    WHEN 'entry_page' THEN ARRAY[s.entry_page] WHEN 'source' THEN ARRAY[s.source] WHEN 'referrer' THEN ARRAY[s.referrer]
                    WHEN 'utm_source' THEN ARRAY[s.utm_source] WHEN 'utm_medium' THEN ARRAY[s.utm_medium]
                    WHEN 'utm_campaign' THEN ARRAY[s.utm_campaign] WHEN 'utm_content' THEN ARRAY[s.utm_content]
                    WHEN 'utm_term' THEN ARRAY[s.utm_term] WHEN 'country' THEN ARRAY[s.country] WHEN 'device' THEN ARRAY[s.device]
                    WHEN 'browser' THEN ARRAY[s.browser] WHEN 'os' THEN ARRAY[s.os] WHEN 'screen_size' THEN ARRAY[s.screen_size]
                    ELSE ARRAY(SELECT p->>substr(f->>'dimension', 13) FROM unnest(s.props) p
                        WHERE f->>'dimension' LIKE 'event:props:%' AND p ? substr(f->>'dimension', 13)) END AS vals) v
            WHERE (f->>'negate')::boolean <> EXISTS (
                SELECT 1 FROM unnest(v.vals) AS got (val), jsonb_array_elements_text(f->'values') AS want (val)
                WHERE CASE f->>'operator'
                    WHEN 'is' THEN CASE WHEN (f->>'ignore_case')::boolean THEN lower(got.val) = lower(want.val) ELSE got.val = want.val END
                    WHEN 'contains' THEN CASE WHEN (f->>'ignore_case')::boolean THEN strpos(lower(got.val), lower(want.val)) > 0
                        ELSE strpos(got.val, want.val) > 0 END
                    -- patterns are a subset checked by the API (visits.checkPattern)
                    ELSE CASE WHEN (f->>'ignore_case')::boolean THEN got.val ~* want.val ELSE got.val ~ want.val END END)
        )
    )
), top_props AS MATERIALIZED (
    -- The values of the property grouped by, the 1,000 with most events
    -- each day; the rest count as '(other)'. Counted once: inlined, they
    -- were counted again inside each event's lookup below (issue #19).
    SELECT t.day, t.value FROM (
        SELECT n.day, n.props->>substr(@dimension::text, 13) AS value,
            row_number() OVER (PARTITION BY n.day ORDER BY count(*) DESC, n.props->>substr(@dimension::text, 13)) AS rank
        FROM numbered n
        WHERE @dimension::text LIKE 'event:props:%' AND n.props ? substr(@dimension::text, 13)
        GROUP BY 1, 2
    ) t WHERE t.rank <= 1000
), event_values AS (
    -- Rows for page, event_name and goal: the sessions that include each
    -- value, with the matching events' counts. A goal is reached by its
    -- event, or by a page view whose path matches its pattern.
    SELECT k.day, k.visitor_id, k.session, v.value,
        count(*) FILTER (WHERE n.name = 'pageview') AS pageviews, count(*) AS events,
        -- the visit's own figures, for its bounce and duration
        min(k.pageviews) AS visit_pageviews, min(k.events) AS visit_events, min(k.duration) AS visit_duration
    FROM numbered n JOIN valued k ON k.visitor_id = n.visitor_id AND k.day = n.day AND k.session = n.session
    CROSS JOIN LATERAL (
        SELECT CASE WHEN @dimension::text = 'page' THEN CASE WHEN n.name = 'pageview' THEN n.pathname END ELSE n.name END AS value
        WHERE @dimension::text IN ('page', 'event_name')
        UNION ALL
        SELECT g->>'name' FROM jsonb_array_elements(@goals::jsonb) g
        WHERE @dimension::text = 'goal' AND CASE WHEN g ? 'event_name' THEN n.name = g->>'event_name'
            ELSE n.name = 'pageview' AND n.pathname ~ (g->>'page_pattern') END
        UNION ALL
        SELECT CASE WHEN EXISTS (SELECT 1 FROM top_props t WHERE t.day = n.day AND t.value = n.props->>substr(@dimension::text, 13))
            THEN n.props->>substr(@dimension::text, 13) ELSE '(other)' END
        WHERE @dimension::text LIKE 'event:props:%' AND n.props ? substr(@dimension::text, 13)
    ) v
    WHERE @dimension::text IN ('page', 'event_name', 'goal') OR @dimension::text LIKE 'event:props:%'
    GROUP BY 1, 2, 3, 4
)
SELECT k.day::date AS day, k.value::text AS value, count(DISTINCT k.visitor_id)::bigint AS visitors, count(*)::bigint AS visits,
    sum(k.pageviews)::bigint AS pageviews, sum(k.events)::bigint AS events,
    count(*) FILTER (WHERE k.events = 1 AND k.pageviews = 1)::bigint AS bounces, sum(k.duration)::bigint AS duration
FROM valued k
WHERE @dimension::text NOT IN ('page', 'event_name', 'goal', 'funnel') AND @dimension::text NOT LIKE 'event:props:%'
GROUP BY k.day, k.value
UNION ALL
SELECT e.day::date, e.value::text, count(DISTINCT e.visitor_id)::bigint, count(*)::bigint, sum(e.pageviews)::bigint, sum(e.events)::bigint,
    count(*) FILTER (WHERE e.visit_events = 1 AND e.visit_pageviews = 1)::bigint, sum(e.visit_duration)::bigint
FROM event_values e
WHERE e.value IS NOT NULL
GROUP BY e.day, e.value
UNION ALL
-- A funnel (dimension 'funnel', its steps in @goals): each visit's events
-- that match a step, as letters in time order (a for the first step…);
-- the visit reached step k if the letters of steps 1 to k appear in order.
SELECT f.day::date, f.step::text, count(DISTINCT f.visitor_id)::bigint, count(*)::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint
FROM (
    SELECT q.day, q.visitor_id, k.step
    FROM (
        SELECT n.day, n.visitor_id, n.session, string_agg(chr(96 + g.ord::integer), '' ORDER BY n.ts, g.ord) AS seq
        FROM numbered n JOIN valued v ON v.visitor_id = n.visitor_id AND v.day = n.day AND v.session = n.session
        CROSS JOIN LATERAL jsonb_array_elements(@goals::jsonb) WITH ORDINALITY AS g (step, ord)
        WHERE @dimension::text = 'funnel' AND CASE WHEN g.step ? 'event_name' THEN n.name = g.step->>'event_name'
            ELSE n.name = 'pageview' AND n.pathname ~ (g.step->>'page_pattern') END
        GROUP BY 1, 2, 3
    ) q
    CROSS JOIN LATERAL generate_series(1, jsonb_array_length(@goals::jsonb)) AS k (step)
    WHERE q.seq ~ (SELECT string_agg(chr(96 + i), '.*' ORDER BY i) FROM generate_series(1, k.step) AS i)
) f
GROUP BY f.day, f.step
ORDER BY 1, 2;

-- name: VisitGoalInsert :one
INSERT INTO visit_goals (name, event_name, page_path) VALUES (@name, sqlc.narg(event_name), sqlc.narg(page_path))
ON CONFLICT (name) DO NOTHING
RETURNING id, name, event_name, page_path, created_at;

-- name: VisitGoalList :many
SELECT id, name, event_name, page_path, created_at FROM visit_goals ORDER BY name;

-- name: VisitGoalDelete :execrows
DELETE FROM visit_goals WHERE id = @id;

-- name: VisitPropKeys :many
-- The custom property names events in a range carry, the first @max_keys
-- in byte order.
SELECT d.key::text AS key FROM (
    SELECT DISTINCT jsonb_object_keys(e.props) AS key FROM visit_events e
    WHERE e.ts >= @range_start AND e.ts < @range_end AND e.props IS NOT NULL
) d
ORDER BY d.key COLLATE "C"
LIMIT @max_keys;

-- name: VisitPropKeysLock :exec
-- Serialises admissions of property names, so that concurrent writers
-- agree on how many there are.
SELECT pg_advisory_xact_lock(2917353001);

-- name: VisitPropKeysCount :one
SELECT count(*)::integer AS admitted FROM visit_prop_keys;

-- name: VisitPropKeysAdmit :many
-- Admits up to @room of the names among @keys not yet admitted, in byte
-- order, and returns every name of @keys admitted (before or now).
WITH added AS (
    INSERT INTO visit_prop_keys (key)
    SELECT k.key FROM unnest(@keys::text[]) AS k (key)
    WHERE NOT EXISTS (SELECT 1 FROM visit_prop_keys p WHERE p.key = k.key)
    ORDER BY k.key COLLATE "C"
    LIMIT @room::integer
    ON CONFLICT (key) DO NOTHING
    RETURNING key
)
SELECT a.key::text AS key FROM added a
UNION ALL
SELECT p.key::text FROM visit_prop_keys p WHERE p.key = ANY (@keys::text[]);
