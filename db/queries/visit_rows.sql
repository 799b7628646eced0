-- name: VisitRowsNoJIT :exec
-- A query on visit rows is estimated dear enough for JIT compilation,
-- which costs more than the query saves; off for the transaction.
SELECT set_config('jit', 'off', true);

-- name: VisitRowsDeleteDay :exec
WITH gone AS (DELETE FROM visit_row_values WHERE visit_row_values.day = @day::date)
DELETE FROM visit_rows WHERE visit_rows.day = @day::date;

-- name: VisitRowsCompactDay :execrows
-- One site-local day's visits (from day_start to day_end), built from its
-- raw events, a row each. Visits are those of VisitQueryFiltered: cut after
-- 30 idle minutes, a visit's values are its first event's.
WITH numbered AS (
    SELECT e.*, sum(e.starts) OVER (PARTITION BY e.visitor_id ORDER BY e.ts ROWS UNBOUNDED PRECEDING) AS session
    FROM (
        SELECT v.ts, v.visitor_id, v.name, v.pathname, v.referrer, v.source, v.utm_source, v.utm_medium, v.utm_campaign,
            v.utm_content, v.utm_term, v.country, v.device, v.browser, v.os, v.screen_width, v.props,
            CASE WHEN v.name = 'pageview' THEN v.pathname ELSE '' END AS page,
            CASE WHEN v.ts - lag(v.ts) OVER (PARTITION BY v.visitor_id ORDER BY v.ts) <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
        FROM visit_events v
        WHERE v.ts >= @day_start AND v.ts < @day_end
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
)
INSERT INTO visit_rows (day, visitor_id, session, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign,
    utm_content, utm_term, country, device, browser, os, screen_size, pages, page_views, names, name_counts, props, prop_names,
    prop_pairs, path_names, path_pages, path_times, pageviews, events, duration)
SELECT @day::date, f.visitor_id, f.session, v.entry_page, v.exit_page, f.referrer, f.source, f.utm_source, f.utm_medium, f.utm_campaign,
    f.utm_content, f.utm_term, f.country, f.device, f.browser, f.os, f.screen_size,
    coalesce(p.pages, '{}'), coalesce(p.page_views, '{}'), m.names, m.name_counts, v.props, v.prop_names,
    coalesce(r.prop_pairs, '{}'), v.path_names, v.path_pages, v.path_times, v.pageviews, v.events, v.duration
FROM firsts f
JOIN visits v ON v.visitor_id = f.visitor_id AND v.session = f.session
JOIN named m ON m.visitor_id = f.visitor_id AND m.session = f.session
LEFT JOIN viewed p ON p.visitor_id = f.visitor_id AND p.session = f.session
LEFT JOIN paired r ON r.visitor_id = f.visitor_id AND r.session = f.session;

-- name: VisitRowsValuesDay :execrows
-- The values each dimension takes in the day's visit rows.
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
WHERE s.day = @day;

-- name: VisitRowsDayDone :execrows
-- Marks the day's visit rows current if no events came while they were
-- built (the dirty version rolled up is still the day's). The dirty row
-- stays locked until commit, so a writer marking the day again waits, and
-- its trigger then unmarks it.
WITH current AS (
    SELECT r.day FROM visit_rollup_dirty r WHERE r.day = @day::date AND r.version = @version::bigint FOR UPDATE
)
INSERT INTO visit_rows_days (day) SELECT c.day FROM current c
ON CONFLICT (day) DO UPDATE SET compacted_at = now();

-- name: VisitRowsCompactedDays :many
-- The days of [day_from, day_to) answered from visit rows: compacted, and
-- no new events since.
SELECT d.day FROM visit_rows_days d
WHERE d.day >= @day_from AND d.day < @day_to
    AND NOT EXISTS (SELECT 1 FROM visit_rollup_dirty r WHERE r.day = d.day)
ORDER BY d.day;

-- name: VisitRowsDeleteBefore :execrows
-- Visit rows follow the raw events' retention.
WITH days AS (DELETE FROM visit_rows_days WHERE visit_rows_days.day < @cutoff::date),
    vals AS (DELETE FROM visit_row_values WHERE visit_row_values.day < @cutoff::date)
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
-- (TestVisitRowsAgreeWithRawEvents).
WITH kept AS (
    -- Only the arrays the dimension needs: the kept visits are held while
    -- they are counted.
    SELECT s.day, s.visitor_id, s.session, s.pageviews, s.events, s.duration,
        CASE WHEN @dimension::text IN ('page', 'goal') THEN s.pages END AS pages,
        CASE WHEN @dimension::text IN ('page', 'goal') THEN s.page_views END AS page_views,
        CASE WHEN @dimension::text IN ('event_name', 'goal') THEN s.names END AS names,
        CASE WHEN @dimension::text IN ('event_name', 'goal') THEN s.name_counts END AS name_counts,
        CASE WHEN @dimension::text LIKE 'event:props:%' THEN s.props END AS props,
        CASE WHEN @dimension::text LIKE 'event:props:%' THEN s.prop_names END AS prop_names,
        CASE WHEN @dimension::text = 'funnel' THEN s.path_names END AS path_names,
        CASE WHEN @dimension::text = 'funnel' THEN s.path_pages END AS path_pages,
        CASE WHEN @dimension::text = 'funnel' THEN s.path_times END AS path_times,
        CASE @dimension::text
            WHEN 'entry_page' THEN s.entry_page WHEN 'source' THEN s.source WHEN 'referrer' THEN s.referrer
            WHEN 'utm_source' THEN s.utm_source WHEN 'utm_medium' THEN s.utm_medium WHEN 'utm_campaign' THEN s.utm_campaign
            WHEN 'utm_content' THEN s.utm_content WHEN 'utm_term' THEN s.utm_term WHEN 'country' THEN s.country
            WHEN 'device' THEN s.device WHEN 'browser' THEN s.browser WHEN 'os' THEN s.os
            WHEN 'screen_size' THEN s.screen_size ELSE '' END AS value
    FROM visit_rows s
    CROSS JOIN LATERAL (SELECT
        visit_row_has(@d1::text, @m1::text[], s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
            s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> @n1::boolean AS h1,
        visit_row_has(@d2::text, @m2::text[], s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
            s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> @n2::boolean AS h2,
        visit_row_has(@d3::text, @m3::text[], s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
            s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> @n3::boolean AS h3,
        visit_row_has(@d4::text, @m4::text[], s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
            s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> @n4::boolean AS h4
    ) h
    -- The fast path (@fast): at most four comparisons, each on dimension
    -- @dN with the values it matches @mN (VisitRowValuesMatch), negated
    -- by @nN; a visit is kept when every clause @cN (a bit per comparison,
    -- 0 for none) has a comparison that holds.
    WHERE s.day >= @day_from::date AND s.day < @day_to::date AND s.day <> ALL (@raw_days::date[]) AND (NOT @fast::boolean OR (
        (@c1::integer = 0 OR (@c1::integer & 1 <> 0 AND h.h1) OR (@c1::integer & 2 <> 0 AND h.h2)
            OR (@c1::integer & 4 <> 0 AND h.h3) OR (@c1::integer & 8 <> 0 AND h.h4))
        AND (@c2::integer = 0 OR (@c2::integer & 1 <> 0 AND h.h1) OR (@c2::integer & 2 <> 0 AND h.h2)
            OR (@c2::integer & 4 <> 0 AND h.h3) OR (@c2::integer & 8 <> 0 AND h.h4))
        AND (@c3::integer = 0 OR (@c3::integer & 1 <> 0 AND h.h1) OR (@c3::integer & 2 <> 0 AND h.h2)
            OR (@c3::integer & 4 <> 0 AND h.h3) OR (@c3::integer & 8 <> 0 AND h.h4))
        AND (@c4::integer = 0 OR (@c4::integer & 1 <> 0 AND h.h1) OR (@c4::integer & 2 <> 0 AND h.h2)
            OR (@c4::integer & 4 <> 0 AND h.h3) OR (@c4::integer & 8 <> 0 AND h.h4))
    )) AND (@fast::boolean OR NOT EXISTS (
        -- Any other filters: compared visit by visit, as from raw events.
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
                    ELSE CASE WHEN (f->>'ignore_case')::boolean THEN got.val ~* want.val ELSE got.val ~ want.val END END)
        )
    ))
), top_props AS MATERIALIZED (
    -- The property's 1,000 values with most events each day (all visits,
    -- as from raw events); the rest count as '(other)'.
    SELECT t.day, t.value FROM (
        SELECT s.day, p.p->>substr(@dimension::text, 13) AS value,
            row_number() OVER (PARTITION BY s.day ORDER BY count(*) DESC, p.p->>substr(@dimension::text, 13)) AS rank
        FROM visit_rows s CROSS JOIN LATERAL unnest(s.props) AS p (p)
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
), step_events AS MATERIALIZED (
    SELECT 'pageview'::text AS name, p.value AS page, st.ord
    FROM (SELECT DISTINCT v.value FROM visit_row_values v
        WHERE v.dimension = 'page' AND v.day >= @day_from::date AND v.day < @day_to::date AND v.day <> ALL (@raw_days::date[])) p
    JOIN steps st ON CASE WHEN st.event_name IS NULL THEN p.value ~ st.page_pattern ELSE st.event_name = 'pageview' END
    UNION ALL
    SELECT st.event_name, '', st.ord FROM steps st WHERE st.event_name IS NOT NULL AND st.event_name <> 'pageview'
), event_values AS (
    -- Rows for page, event_name, goal and a property: the visits that
    -- include each value, with the matching events' counts.
    SELECT k.day, k.visitor_id, k.session, x.value, sum(x.pageviews) AS pageviews, sum(x.events) AS events,
        min(k.pageviews) AS visit_pageviews, min(k.events) AS visit_events, min(k.duration) AS visit_duration
    FROM kept k
    CROSS JOIN LATERAL (
        SELECT u.value, k.page_views[u.i] AS pageviews, k.page_views[u.i] AS events FROM unnest(k.pages) WITH ORDINALITY AS u (value, i)
        WHERE @dimension::text = 'page'
        UNION ALL
        SELECT u.value, CASE WHEN u.value = 'pageview' THEN k.name_counts[u.i] ELSE 0 END, k.name_counts[u.i]
        FROM unnest(k.names) WITH ORDINALITY AS u (value, i)
        WHERE @dimension::text = 'event_name'
        UNION ALL
        SELECT g->>'name', CASE WHEN u.value = 'pageview' THEN k.name_counts[u.i] ELSE 0 END, k.name_counts[u.i]
        FROM jsonb_array_elements(@goals::jsonb) g, unnest(k.names) WITH ORDINALITY AS u (value, i)
        WHERE @dimension::text = 'goal' AND g ? 'event_name' AND u.value = g->>'event_name'
        UNION ALL
        SELECT g->>'name', k.page_views[u.i], k.page_views[u.i]
        FROM jsonb_array_elements(@goals::jsonb) g, unnest(k.pages) WITH ORDINALITY AS u (value, i)
        WHERE @dimension::text = 'goal' AND NOT g ? 'event_name' AND u.value ~ (g->>'page_pattern')
        UNION ALL
        SELECT CASE WHEN EXISTS (SELECT 1 FROM top_props t WHERE t.day = k.day AND t.value = u.p->>substr(@dimension::text, 13))
                THEN u.p->>substr(@dimension::text, 13) ELSE '(other)' END,
            CASE WHEN k.prop_names[u.i] = 'pageview' THEN 1 ELSE 0 END, 1
        FROM unnest(k.props) WITH ORDINALITY AS u (p, i)
        WHERE @dimension::text LIKE 'event:props:%' AND u.p ? substr(@dimension::text, 13)
    ) x
    WHERE @dimension::text IN ('page', 'event_name', 'goal') OR @dimension::text LIKE 'event:props:%' AND cardinality(k.props) > 0
    GROUP BY 1, 2, 3, 4
)
SELECT k.day::date AS day, k.value::text AS value, count(DISTINCT k.visitor_id)::bigint AS visitors, count(*)::bigint AS visits,
    sum(k.pageviews)::bigint AS pageviews, sum(k.events)::bigint AS events,
    count(*) FILTER (WHERE k.events = 1 AND k.pageviews = 1)::bigint AS bounces, sum(k.duration)::bigint AS duration
FROM kept k
WHERE @dimension::text NOT IN ('page', 'event_name', 'goal', 'funnel') AND @dimension::text NOT LIKE 'event:props:%'
GROUP BY k.day, k.value
UNION ALL
SELECT e.day::date, e.value::text, count(DISTINCT e.visitor_id)::bigint, count(*)::bigint, sum(e.pageviews)::bigint, sum(e.events)::bigint,
    count(*) FILTER (WHERE e.visit_events = 1 AND e.visit_pageviews = 1)::bigint, sum(e.visit_duration)::bigint
FROM event_values e
WHERE e.value IS NOT NULL
GROUP BY e.day, e.value
UNION ALL
-- A funnel: each visit's events that match a step, as letters in order.
SELECT f.day::date, f.step::text, count(DISTINCT f.visitor_id)::bigint, count(*)::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint
FROM (
    SELECT q.day, q.visitor_id, k.step
    FROM (
        SELECT v.day, v.visitor_id, v.session, string_agg(chr(96 + t.ord::integer), '' ORDER BY v.path_times[u.i], t.ord) AS seq
        FROM kept v
        CROSS JOIN LATERAL unnest(v.path_names) WITH ORDINALITY AS u (name, i)
        JOIN step_events t ON t.name = u.name AND t.page = v.path_pages[u.i]
        WHERE @dimension::text = 'funnel'
        GROUP BY 1, 2, 3
    ) q
    CROSS JOIN LATERAL generate_series(1, jsonb_array_length(@goals::jsonb)) AS k (step)
    WHERE q.seq ~ (SELECT string_agg(chr(96 + i), '.*' ORDER BY i) FROM generate_series(1, k.step) AS i)
) f
GROUP BY f.day, f.step
ORDER BY 1, 2;
