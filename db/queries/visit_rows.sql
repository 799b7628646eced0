-- name: VisitRowsSettings :exec
-- For the transaction of a query on visit rows: no JIT compilation (the
-- query is estimated dear enough for it, and it costs more than it saves),
-- room to group a month's visits in memory, no memoized unnesting of each
-- visit's pages (hashing the arrays costs more than unnesting them again:
-- 0.8 of the CPU time of a page breakdown without it), and a plan made for
-- the query's own dimension and filters (VisitRowsQuery's branches and
-- comparisons are cut off by tests on its parameters; a generic plan,
-- which PostgreSQL may choose after a statement's fifth run, would make
-- them for every row).
SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), set_config('enable_memoize', 'off', true),
    set_config('plan_cache_mode', 'force_custom_plan', true);

-- name: VisitRowsPassSettings :exec
-- For the rest of a fresh-rollup pass's transaction, which rebuilds the
-- visit rows of the pass's visitors: no nested loops. Restricted to a few
-- hundred visitors, VisitRowsCompactDay's per-visit aggregates are
-- expected to hold a row or two, and joined in nested loops that
-- aggregate again for every visit (0.1 s became 0.7 s for 500 visitors).
SELECT set_config('enable_nestloop', 'off', true);

-- name: VisitRowsDeleteDay :exec
-- Deletes a day's visit rows, or with visitors only theirs (the values
-- stay: a value no visit holds any more only costs a comparison).
WITH gone AS (DELETE FROM visit_row_values WHERE visit_row_values.day = @day::date AND sqlc.narg(visitors)::bigint[] IS NULL),
    paths AS (DELETE FROM visit_row_paths WHERE visit_row_paths.day = @day::date
        AND (sqlc.narg(visitors)::bigint[] IS NULL OR visit_row_paths.visitor_id = ANY (sqlc.narg(visitors)::bigint[])))
DELETE FROM visit_rows WHERE visit_rows.day = @day::date
    AND (sqlc.narg(visitors)::bigint[] IS NULL OR visit_rows.visitor_id = ANY (sqlc.narg(visitors)::bigint[]));

-- name: VisitRowsCompactDay :execrows
-- One site-local day's visits (from day_start to day_end), built from its
-- raw events, a row each. Visits are those of VisitQueryFiltered: cut after
-- 30 idle minutes, a visit's values are its first event's. With visitors,
-- only theirs (an open day's pass: a visitor's visits are theirs alone);
-- with upto, only the events visible in that snapshot (the pass's mark).
WITH numbered AS (
    SELECT e.*, sum(e.starts) OVER (PARTITION BY e.visitor_id ORDER BY e.ts ROWS UNBOUNDED PRECEDING) AS session
    FROM (
        SELECT v.ts, v.visitor_id, v.name, v.pathname, v.referrer, v.source, v.utm_source, v.utm_medium, v.utm_campaign,
            v.utm_content, v.utm_term, v.country, v.device, v.browser, v.os, v.screen_width, v.props,
            CASE WHEN v.name = 'pageview' THEN v.pathname ELSE '' END AS page,
            CASE WHEN v.ts - lag(v.ts) OVER (PARTITION BY v.visitor_id ORDER BY v.ts) <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
        FROM visit_events v
        WHERE v.ts >= @day_start AND v.ts < @day_end
            AND (sqlc.narg(visitors)::bigint[] IS NULL OR v.visitor_id = ANY (sqlc.narg(visitors)::bigint[]))
            -- an event written before xact existed is visible in every snapshot
            AND (sqlc.narg(upto)::text IS NULL OR coalesce(pg_visible_in_snapshot(v.xact, CAST(sqlc.narg(upto)::text AS pg_snapshot)), true))
    ) e
), firsts AS (
    SELECT DISTINCT ON (n.visitor_id, n.session) n.visitor_id, n.session, n.referrer, n.source, n.utm_source,
        n.utm_medium, n.utm_campaign, n.utm_content, n.utm_term, n.country, n.device, n.browser, n.os,
        CASE WHEN n.screen_width <= 0 THEN '' WHEN n.screen_width < 576 THEN 'Mobile' WHEN n.screen_width < 992 THEN 'Tablet'
            WHEN n.screen_width < 1440 THEN 'Laptop' ELSE 'Desktop' END AS screen_size
    FROM numbered n
    ORDER BY n.visitor_id, n.session, n.ts
), visits AS (
    SELECT n.visitor_id, n.session,
        coalesce((array_agg(n.pathname ORDER BY n.ts) FILTER (WHERE n.name = 'pageview'))[1], '') AS entry_page,
        coalesce((array_agg(n.pathname ORDER BY n.ts DESC) FILTER (WHERE n.name = 'pageview'))[1], '') AS exit_page,
        coalesce(array_agg(n.props ORDER BY n.ts, n.name, n.props::text) FILTER (WHERE n.props IS NOT NULL), '{}') AS props,
        coalesce(array_agg(n.name ORDER BY n.ts, n.name, n.props::text) FILTER (WHERE n.props IS NOT NULL), '{}') AS prop_names,
        array_agg(n.name ORDER BY n.ts, n.name, n.page) AS path_names,
        array_agg(n.page ORDER BY n.ts, n.name, n.page) AS path_pages,
        array_agg((extract(epoch FROM n.ts - @day_start::timestamptz) * 1000000)::bigint ORDER BY n.ts, n.name, n.page) AS path_times,
        count(*) FILTER (WHERE n.name = 'pageview') AS pageviews,
        count(*) AS events,
        extract(epoch FROM max(n.ts) - min(n.ts))::bigint AS duration
    FROM numbered n
    GROUP BY n.visitor_id, n.session
), paired AS (
    SELECT n.visitor_id, n.session, array_agg(DISTINCT kv.key || '=' || kv.value) AS prop_pairs
    FROM numbered n CROSS JOIN LATERAL jsonb_each_text(n.props) AS kv
    WHERE kv.key ~ '^[A-Za-z0-9_.:-]{1,40}$'
    GROUP BY 1, 2
), viewed AS (
    SELECT c.visitor_id, c.session, array_agg(c.pathname ORDER BY c.pathname) AS pages, array_agg(c.views ORDER BY c.pathname) AS page_views
    FROM (
        SELECT n.visitor_id, n.session, n.pathname, count(*)::integer AS views
        FROM numbered n WHERE n.name = 'pageview'
        GROUP BY 1, 2, 3
    ) c
    GROUP BY 1, 2
), named AS (
    SELECT c.visitor_id, c.session, array_agg(c.name ORDER BY c.name) AS names, array_agg(c.events ORDER BY c.name) AS name_counts
    FROM (
        SELECT n.visitor_id, n.session, n.name, count(*)::integer AS events
        FROM numbered n
        GROUP BY 1, 2, 3
    ) c
    GROUP BY 1, 2
), built AS (
    SELECT f.visitor_id, f.session, v.entry_page, v.exit_page, f.referrer, f.source, f.utm_source, f.utm_medium, f.utm_campaign,
        f.utm_content, f.utm_term, f.country, f.device, f.browser, f.os, f.screen_size,
        coalesce(p.pages, '{}') AS pages, coalesce(p.page_views, '{}') AS page_views, m.names, m.name_counts, v.props, v.prop_names,
        coalesce(r.prop_pairs, '{}') AS prop_pairs, v.path_names, v.path_pages, v.path_times, v.pageviews, v.events, v.duration
    FROM firsts f
    JOIN visits v ON v.visitor_id = f.visitor_id AND v.session = f.session
    JOIN named m ON m.visitor_id = f.visitor_id AND m.session = f.session
    LEFT JOIN viewed p ON p.visitor_id = f.visitor_id AND p.session = f.session
    LEFT JOIN paired r ON r.visitor_id = f.visitor_id AND r.session = f.session
), paths AS (
    -- The wide parts, read only by property breakdowns and funnels.
    INSERT INTO visit_row_paths (day, visitor_id, session, props, prop_names, path_names, path_pages, path_times)
    SELECT @day::date, b.visitor_id, b.session, b.props, b.prop_names, b.path_names, b.path_pages, b.path_times FROM built b
)
INSERT INTO visit_rows (day, visitor_id, session, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign,
    utm_content, utm_term, country, device, browser, os, screen_size, pages, page_views, names, name_counts, prop_pairs,
    pageviews, events, duration)
SELECT @day::date, b.visitor_id, b.session, b.entry_page, b.exit_page, b.referrer, b.source, b.utm_source, b.utm_medium, b.utm_campaign,
    b.utm_content, b.utm_term, b.country, b.device, b.browser, b.os, b.screen_size, b.pages, b.page_views, b.names, b.name_counts,
    b.prop_pairs, b.pageviews, b.events, b.duration
FROM built b;

-- name: VisitRowsValuesDay :execrows
-- The values each dimension takes in the day's visit rows (with visitors,
-- those of their visit rows, added to the day's).
INSERT INTO visit_row_values (day, dimension, value)
SELECT DISTINCT s.day, d.dimension, d.value FROM visit_rows s
CROSS JOIN LATERAL (
    SELECT 'page', p FROM unnest(s.pages) AS p
    UNION ALL SELECT 'event_name', n FROM unnest(s.names) AS n
    UNION ALL SELECT 'event:props:' || split_part(kv, '=', 1), substr(kv, strpos(kv, '=') + 1) FROM unnest(s.prop_pairs) AS kv
    UNION ALL VALUES ('entry_page', s.entry_page), ('source', s.source), ('referrer', s.referrer), ('utm_source', s.utm_source),
        ('utm_medium', s.utm_medium), ('utm_campaign', s.utm_campaign), ('utm_content', s.utm_content), ('utm_term', s.utm_term),
        ('country', s.country), ('device', s.device), ('browser', s.browser), ('os', s.os), ('screen_size', s.screen_size)
) AS d (dimension, value)
WHERE s.day = @day AND (sqlc.narg(visitors)::bigint[] IS NULL OR s.visitor_id = ANY (sqlc.narg(visitors)::bigint[]))
ON CONFLICT DO NOTHING;

-- name: VisitRowsDayDone :execrows
-- Marks the day's visit rows current if no events came while they were
-- built: the dirty version rolled up is still the day's, or, for version
-- 0 (a day closing, recounted without being dirty), the day is not dirty.
-- The dirty row stays locked until commit, so a writer marking the day
-- again waits, and its trigger then unmarks it; a writer making the day
-- dirty after the check leaves a dirty row, which keeps the day off its
-- visit rows until it is recounted.
WITH current AS (
    SELECT r.day FROM visit_rollup_dirty r WHERE r.day = @day::date AND r.version = @version::bigint FOR UPDATE
)
INSERT INTO visit_rows_days (day)
SELECT c.day FROM current c
UNION ALL
SELECT @day::date WHERE @version::bigint = 0 AND NOT EXISTS (SELECT 1 FROM visit_rollup_dirty r WHERE r.day = @day::date)
ON CONFLICT (day) DO UPDATE SET compacted_at = now();

-- name: VisitRowsCompactedDays :many
-- The days of [day_from, day_to) answered from visit rows: a closed day
-- compacted with no new events since; an open day (counted incrementally)
-- whose visit rows count the events of its mark, as its rollups do (events
-- written since are in neither).
SELECT d.day FROM visit_rows_days d
WHERE d.day >= @day_from AND d.day < @day_to
    AND NOT EXISTS (SELECT 1 FROM visit_rollup_dirty r WHERE r.day = d.day)
    AND NOT EXISTS (SELECT 1 FROM visit_rollup_marks m WHERE m.day = d.day)
UNION ALL
SELECT m.day FROM visit_rollup_marks m
WHERE m.day >= @day_from AND m.day < @day_to AND CAST(m.rows_seen AS text) = CAST(m.seen AS text)
ORDER BY 1;

-- name: VisitRowsDeleteBefore :execrows
-- Visit rows follow the raw events' retention.
WITH days AS (DELETE FROM visit_rows_days WHERE visit_rows_days.day < @cutoff::date),
    vals AS (DELETE FROM visit_row_values WHERE visit_row_values.day < @cutoff::date),
    paths AS (DELETE FROM visit_row_paths WHERE visit_row_paths.day < @cutoff::date)
DELETE FROM visit_rows WHERE visit_rows.day < @cutoff::date;

-- name: VisitRowValuesMatch :many
-- The values dimension takes in the days of [day_from, day_to) but
-- raw_days that a comparison (in its positive form) matches; a property's
-- as KEY=VALUE. VisitRowsQuery's fast path keeps the visits holding one.
SELECT DISTINCT (CASE WHEN v.dimension LIKE 'event:props:%' THEN substr(v.dimension, 13) || '=' || v.value ELSE v.value END)::text AS value
FROM visit_row_values v
WHERE v.day >= @day_from::date AND v.day < @day_to::date AND v.day <> ALL (@raw_days::date[]) AND v.dimension = @dimension::text
    AND EXISTS (
        SELECT 1 FROM unnest(@values::text[]) AS want (val)
        WHERE CASE @operator::text
            WHEN 'is' THEN CASE WHEN @ignore_case::boolean THEN lower(v.value) = lower(want.val) ELSE v.value = want.val END
            WHEN 'contains' THEN CASE WHEN @ignore_case::boolean THEN strpos(lower(v.value), lower(want.val)) > 0
                ELSE strpos(v.value, want.val) > 0 END
            -- patterns are a subset checked by the API (visits.checkPattern)
            ELSE CASE WHEN @ignore_case::boolean THEN v.value ~* want.val ELSE v.value ~ want.val END END);

-- name: VisitRowsQuery :many
-- VisitQueryFiltered's figures for the days of [day_from, day_to) but
-- raw_days, read from their visit rows instead of raw events: the same
-- filters, rows and funnels (see there); the two must agree
-- (TestVisitRowsAgreeWithRawEvents). The visits kept are those of
-- visit_rows_kept (its parameters: the fast path's comparison slots, or
-- the filters as JSON); each branch below reads them itself, the others
-- cut off by their dimension test, so the scan is never materialised and
-- may run in parallel. The rows counted are one per visit and value.
WITH top_props AS MATERIALIZED (
    -- The property's 1,000 values with most events each day (all visits,
    -- as from raw events); the rest count as '(other)'.
    SELECT t.day, t.value FROM (
        SELECT s.day, p.p->>substr(@dimension::text, 13) AS value,
            row_number() OVER (PARTITION BY s.day ORDER BY count(*) DESC, p.p->>substr(@dimension::text, 13)) AS rank
        FROM visit_row_paths s CROSS JOIN LATERAL unnest(s.props) AS p (p)
        WHERE @dimension::text LIKE 'event:props:%' AND s.day >= @day_from::date AND s.day < @day_to::date
            AND s.day <> ALL (@raw_days::date[]) AND cardinality(s.props) > 0 AND p.p ? substr(@dimension::text, 13)
        GROUP BY 1, 2
    ) t WHERE t.rank <= 1000
), steps AS MATERIALIZED (
    -- A funnel's steps (dimension 'funnel'), and each event a step matches:
    -- its name and, for a page view, its path (patterns compared once per
    -- path the days hold, not once per event).
    SELECT g.ord, g.step->>'event_name' AS event_name, g.step->>'page_pattern' AS page_pattern
    FROM jsonb_array_elements(@goals::jsonb) WITH ORDINALITY AS g (step, ord)
    WHERE @dimension::text = 'funnel'
    LIMIT 8 -- a funnel's most steps (visits.maxFunnelSteps): the planner then expects few
), step_events AS MATERIALIZED (
    SELECT 'pageview'::text AS name, p.value AS page, st.ord
    FROM (SELECT DISTINCT v.value FROM visit_row_values v
        WHERE v.dimension = 'page' AND v.day >= @day_from::date AND v.day < @day_to::date AND v.day <> ALL (@raw_days::date[])) p
    JOIN steps st ON CASE WHEN st.event_name IS NULL THEN p.value ~ st.page_pattern ELSE st.event_name = 'pageview' END
    UNION ALL
    SELECT st.event_name, '', st.ord FROM steps st WHERE st.event_name IS NOT NULL AND st.event_name <> 'pageview'
), step_sets AS MATERIALIZED (
    -- The pages and event names of the first two steps: only visits
    -- holding the first can reach any step, and only those also holding
    -- the second can go further, so only their paths are read.
    SELECT coalesce(array_agg(t.page) FILTER (WHERE t.ord = 1 AND t.name = 'pageview'), '{}')::text[] AS pages1,
        coalesce(array_agg(t.name) FILTER (WHERE t.ord = 1 AND t.name <> 'pageview'), '{}')::text[] AS names1,
        coalesce(array_agg(t.page) FILTER (WHERE t.ord = 2 AND t.name = 'pageview'), '{}')::text[] AS pages2,
        coalesce(array_agg(t.name) FILTER (WHERE t.ord = 2 AND t.name <> 'pageview'), '{}')::text[] AS names2
    FROM step_events t
), step_patterns AS MATERIALIZED (
    -- The pattern of the letters of a visit reaching each step in order.
    SELECT st.ord AS step, (SELECT string_agg(chr(96 + i), '.*' ORDER BY i) FROM generate_series(1, st.ord::integer) AS i) AS pattern
    FROM steps st
), visit_values AS (
    -- Rows for page and event_name: the visits that include each value
    -- (each once in a visit's arrays), with its count.
    SELECT k.day, k.visitor_id, k.session, u.value, CASE WHEN @dimension::text = 'page' OR u.value = 'pageview' THEN u.n ELSE 0 END AS pageviews,
        u.n AS events, k.pageviews AS visit_pageviews, k.events AS visit_events, k.duration AS visit_duration
    FROM visit_rows_kept(@day_from::date, @day_to::date, @raw_days::date[], @fast::boolean, @c1::integer, @c2::integer, @c3::integer,
        @c4::integer, @d1::text, @d2::text, @d3::text, @d4::text, @m1::text[], @m2::text[], @m3::text[], @m4::text[], @n1::boolean,
        @n2::boolean, @n3::boolean, @n4::boolean, @filters::jsonb) k
    CROSS JOIN LATERAL (SELECT v.value, (CASE WHEN @dimension::text = 'page' THEN k.page_views ELSE k.name_counts END)[v.i] AS n
        FROM unnest(CASE WHEN @dimension::text = 'page' THEN k.pages ELSE k.names END) WITH ORDINALITY AS v (value, i)) u
    WHERE @dimension::text IN ('page', 'event_name')
    UNION ALL
    -- Goals: a visit counts once per goal, with the events that reach it.
    SELECT k.day, k.visitor_id, k.session, x.value, sum(x.pageviews), sum(x.events), min(k.pageviews), min(k.events), min(k.duration)
    FROM visit_rows_kept(@day_from::date, @day_to::date, @raw_days::date[], @fast::boolean, @c1::integer, @c2::integer, @c3::integer,
        @c4::integer, @d1::text, @d2::text, @d3::text, @d4::text, @m1::text[], @m2::text[], @m3::text[], @m4::text[], @n1::boolean,
        @n2::boolean, @n3::boolean, @n4::boolean, @filters::jsonb) k
    CROSS JOIN LATERAL (
        SELECT g->>'name' AS value, CASE WHEN u.value = 'pageview' THEN k.name_counts[u.i] ELSE 0 END AS pageviews,
            k.name_counts[u.i] AS events
        FROM jsonb_array_elements(@goals::jsonb) g, unnest(k.names) WITH ORDINALITY AS u (value, i)
        WHERE g ? 'event_name' AND u.value = g->>'event_name'
        UNION ALL
        SELECT g->>'name', k.page_views[u.i], k.page_views[u.i]
        FROM jsonb_array_elements(@goals::jsonb) g, unnest(k.pages) WITH ORDINALITY AS u (value, i)
        WHERE NOT g ? 'event_name' AND u.value ~ (g->>'page_pattern')
    ) x
    WHERE @dimension::text = 'goal'
    GROUP BY 1, 2, 3, 4
), prop_values AS (
    -- Rows for a property: its values in the kept visits' events (from
    -- visit_row_paths, for the visits with properties only).
    SELECT k.day, k.visitor_id, k.session, x.value, sum(x.pageviews) AS pageviews, sum(x.events) AS events,
        min(k.pageviews) AS visit_pageviews, min(k.events) AS visit_events, min(k.duration) AS visit_duration
    FROM visit_rows_kept(@day_from::date, @day_to::date, @raw_days::date[], @fast::boolean, @c1::integer, @c2::integer, @c3::integer,
        @c4::integer, @d1::text, @d2::text, @d3::text, @d4::text, @m1::text[], @m2::text[], @m3::text[], @m4::text[], @n1::boolean,
        @n2::boolean, @n3::boolean, @n4::boolean, @filters::jsonb) k
    JOIN visit_row_paths w ON w.day = k.day AND w.visitor_id = k.visitor_id AND w.session = k.session
    CROSS JOIN LATERAL (
        SELECT CASE WHEN EXISTS (SELECT 1 FROM top_props t WHERE t.day = k.day AND t.value = u.p->>substr(@dimension::text, 13))
                THEN u.p->>substr(@dimension::text, 13) ELSE '(other)' END AS value,
            CASE WHEN w.prop_names[u.i] = 'pageview' THEN 1 ELSE 0 END AS pageviews, 1 AS events
        FROM unnest(w.props) WITH ORDINALITY AS u (p, i)
        WHERE u.p ? substr(@dimension::text, 13)
    ) x
    WHERE @dimension::text LIKE 'event:props:%' AND cardinality(k.prop_pairs) > 0
    GROUP BY 1, 2, 3, 4
), counted AS (
    -- A row per visit and value.
    SELECT k.day, k.visitor_id, k.session, CASE @dimension::text
            WHEN 'entry_page' THEN k.entry_page WHEN 'source' THEN k.source WHEN 'referrer' THEN k.referrer
            WHEN 'utm_source' THEN k.utm_source WHEN 'utm_medium' THEN k.utm_medium WHEN 'utm_campaign' THEN k.utm_campaign
            WHEN 'utm_content' THEN k.utm_content WHEN 'utm_term' THEN k.utm_term WHEN 'country' THEN k.country
            WHEN 'device' THEN k.device WHEN 'browser' THEN k.browser WHEN 'os' THEN k.os
            WHEN 'screen_size' THEN k.screen_size ELSE '' END AS value,
        k.pageviews, k.events, k.pageviews AS visit_pageviews, k.events AS visit_events, k.duration AS visit_duration
    FROM visit_rows_kept(@day_from::date, @day_to::date, @raw_days::date[], @fast::boolean, @c1::integer, @c2::integer, @c3::integer,
        @c4::integer, @d1::text, @d2::text, @d3::text, @d4::text, @m1::text[], @m2::text[], @m3::text[], @m4::text[], @n1::boolean,
        @n2::boolean, @n3::boolean, @n4::boolean, @filters::jsonb) k
    WHERE @dimension::text NOT IN ('page', 'event_name', 'goal', 'funnel') AND @dimension::text NOT LIKE 'event:props:%'
    UNION ALL
    SELECT * FROM visit_values
    UNION ALL
    SELECT * FROM prop_values
), funnel_visits AS (
    -- A funnel: the furthest step each kept visit holding the first step
    -- reached, in order. Only visits also holding the second step can go
    -- further: their events that match a step, as letters in order, are
    -- compared with each step's pattern.
    SELECT k.day, k.visitor_id, CASE WHEN k.pages && fs.pages2 OR k.names && fs.names2 THEN (
            SELECT max(st.step) FROM step_patterns st
            WHERE (SELECT string_agg(chr(96 + t.ord::integer), '' ORDER BY w.path_times[u.i], t.ord)
                FROM visit_row_paths w
                CROSS JOIN LATERAL unnest(w.path_names) WITH ORDINALITY AS u (name, i)
                JOIN step_events t ON t.name = u.name AND t.page = w.path_pages[u.i]
                WHERE w.day = k.day AND w.visitor_id = k.visitor_id AND w.session = k.session) ~ st.pattern)
        ELSE 1 END AS reached
    FROM visit_rows_kept(@day_from::date, @day_to::date, @raw_days::date[], @fast::boolean, @c1::integer, @c2::integer, @c3::integer,
        @c4::integer, @d1::text, @d2::text, @d3::text, @d4::text, @m1::text[], @m2::text[], @m3::text[], @m4::text[], @n1::boolean,
        @n2::boolean, @n3::boolean, @n4::boolean, @filters::jsonb) k
    CROSS JOIN step_sets fs
    WHERE @dimension::text = 'funnel' AND (k.pages && fs.pages1 OR k.names && fs.names1)
)
SELECT c.day::date AS day, c.value::text AS value, count(DISTINCT c.visitor_id)::bigint AS visitors, count(*)::bigint AS visits,
    sum(c.pageviews)::bigint AS pageviews, sum(c.events)::bigint AS events,
    count(*) FILTER (WHERE c.visit_events = 1 AND c.visit_pageviews = 1)::bigint AS bounces, sum(c.visit_duration)::bigint AS duration
FROM counted c
WHERE c.value IS NOT NULL
GROUP BY 1, 2
UNION ALL
-- A funnel: each visit counts at every step up to the furthest it reached.
SELECT f.day::date, s.step::text, count(DISTINCT f.visitor_id)::bigint, count(*)::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint
FROM funnel_visits f
CROSS JOIN LATERAL generate_series(1, f.reached::integer) AS s (step)
GROUP BY f.day, s.step
ORDER BY 1, 2;
