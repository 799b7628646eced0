-- A pass of the fresh rollups (internal/visits/incremental.go) reads its
-- visitors' events of the day once instead of twice: visit_rollup_delta
-- counts, from one scan, what the events visible in upto count minus what
-- those visible in seen counted. Measured (docs/performance.md, "Visits:
-- what ingest costs"): with every visitor new to the pass, as for most
-- single beacons, the second scan found nothing and cost about a tenth of
-- the pass.

-- +goose Up
-- +goose StatementBegin
-- visit_rollup_delta is visit_rollup_contributions (migration 00310) for
-- upto minus the same for seen, in one statement: each event read counts
-- with sign 1 if visible in upto and with sign -1 if visible in seen (a
-- NULL snapshot counts nothing; an event with no xact is visible in both),
-- and every window and group is per sign. The counting rules are
-- unchanged: they are visit_rollup_day's, the reference.
CREATE FUNCTION visit_rollup_delta(day_start timestamptz, day_end timestamptz, only_visitors bigint[], seen pg_snapshot,
    upto pg_snapshot)
RETURNS TABLE (dimension text, value text, hour timestamptz, visitors bigint, visits bigint, pageviews bigint,
    events bigint, bounces bigint, duration bigint)
LANGUAGE sql STABLE AS $$
WITH found AS (
    SELECT ts, visitor_id, name, pathname, referrer, source, utm_source, utm_medium, utm_campaign, utm_content,
        utm_term, country, device, browser, os, xact
    FROM visit_events
    WHERE ts >= day_start AND ts < day_end AND visitor_id = ANY (only_visitors)
), ev AS (
    SELECT c.sign, f.ts, f.visitor_id, f.name, f.pathname, f.referrer, f.source, f.utm_source, f.utm_medium,
        f.utm_campaign, f.utm_content, f.utm_term, f.country, f.device, f.browser, f.os,
        row_number() OVER w AS rn,
        CASE WHEN f.ts - lag(f.ts) OVER w <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
    FROM found f
    CROSS JOIN LATERAL (VALUES (1, coalesce(pg_visible_in_snapshot(f.xact, upto), upto IS NOT NULL)),
        (-1, coalesce(pg_visible_in_snapshot(f.xact, seen), seen IS NOT NULL))) AS c (sign, counted)
    WHERE c.counted
    WINDOW w AS (PARTITION BY c.sign, f.visitor_id ORDER BY f.ts, f.name, f.pathname, f.referrer, f.source, f.utm_source,
        f.utm_medium, f.utm_campaign, f.utm_content, f.utm_term, f.country, f.device, f.browser, f.os)
), numbered AS (
    SELECT ev.*, sum(starts) OVER (PARTITION BY sign, visitor_id ORDER BY rn ROWS UNBOUNDED PRECEDING) AS session
    FROM ev
), sessions AS (
    SELECT sign, visitor_id, session, min(ts) AS started,
        coalesce((array_agg(pathname ORDER BY rn) FILTER (WHERE name = 'pageview'))[1], '') AS entry_page,
        max(referrer) FILTER (WHERE starts = 1) AS referrer,
        max(source) FILTER (WHERE starts = 1) AS source,
        max(utm_source) FILTER (WHERE starts = 1) AS utm_source,
        max(utm_medium) FILTER (WHERE starts = 1) AS utm_medium,
        max(utm_campaign) FILTER (WHERE starts = 1) AS utm_campaign,
        max(utm_content) FILTER (WHERE starts = 1) AS utm_content,
        max(utm_term) FILTER (WHERE starts = 1) AS utm_term,
        max(country) FILTER (WHERE starts = 1) AS country,
        max(device) FILTER (WHERE starts = 1) AS device,
        max(browser) FILTER (WHERE starts = 1) AS browser,
        max(os) FILTER (WHERE starts = 1) AS os,
        count(*) FILTER (WHERE name = 'pageview') AS pageviews,
        count(*) AS events,
        extract(epoch FROM max(ts) - min(ts))::bigint AS duration
    FROM numbered
    GROUP BY sign, visitor_id, session
), session_dims AS (
    SELECT s.sign, d.dimension, d.value, count(DISTINCT s.visitor_id) AS visitors, count(*) AS visits,
        sum(s.pageviews) AS pageviews, sum(s.events) AS events,
        count(*) FILTER (WHERE s.events = 1 AND s.pageviews = 1) AS bounces, sum(s.duration) AS duration
    FROM sessions s
    CROSS JOIN LATERAL (VALUES ('', ''), ('entry_page', s.entry_page), ('source', s.source), ('referrer', s.referrer),
        ('utm_source', s.utm_source), ('utm_medium', s.utm_medium), ('utm_campaign', s.utm_campaign),
        ('utm_content', s.utm_content), ('utm_term', s.utm_term), ('country', s.country), ('device', s.device),
        ('browser', s.browser), ('os', s.os)) AS d (dimension, value)
    GROUP BY s.sign, d.dimension, d.value
), event_sessions AS (
    SELECT n.sign, d.dimension, d.value, n.visitor_id, n.session,
        count(*) FILTER (WHERE n.name = 'pageview') AS pageviews, count(*) AS events
    FROM numbered n
    CROSS JOIN LATERAL (VALUES ('page', CASE WHEN n.name = 'pageview' THEN n.pathname END), ('event_name', n.name)) AS d (dimension, value)
    WHERE d.value IS NOT NULL
    GROUP BY n.sign, d.dimension, d.value, n.visitor_id, n.session
), event_dims AS (
    SELECT e.sign, e.dimension, e.value, count(DISTINCT e.visitor_id) AS visitors, count(*) AS visits,
        sum(e.pageviews) AS pageviews, sum(e.events) AS events,
        count(*) FILTER (WHERE s.events = 1 AND s.pageviews = 1) AS bounces, sum(s.duration) AS duration
    FROM event_sessions e
    JOIN sessions s ON s.sign = e.sign AND s.visitor_id = e.visitor_id AND s.session = e.session
    GROUP BY e.sign, e.dimension, e.value
), hourly_events AS (
    SELECT sign, date_trunc('hour', ts) AS hour, count(DISTINCT visitor_id) AS visitors,
        count(*) FILTER (WHERE name = 'pageview') AS pageviews, count(*) AS events
    FROM numbered
    GROUP BY 1, 2
), hourly_sessions AS (
    SELECT sign, date_trunc('hour', started) AS hour, count(*) AS visits,
        count(*) FILTER (WHERE events = 1 AND pageviews = 1) AS bounces, sum(duration) AS duration
    FROM sessions
    GROUP BY 1, 2
)
SELECT dimension, value, NULL::timestamptz, sign * visitors, sign * visits, (sign * pageviews)::bigint,
    (sign * events)::bigint, sign * bounces, (sign * duration)::bigint
FROM session_dims
UNION ALL
SELECT dimension, value, NULL::timestamptz, sign * visitors, sign * visits, (sign * pageviews)::bigint,
    (sign * events)::bigint, sign * bounces, (sign * duration)::bigint
FROM event_dims
UNION ALL
SELECT NULL, NULL, h.hour, h.sign * h.visitors, h.sign * coalesce(s.visits, 0), h.sign * h.pageviews, h.sign * h.events,
    h.sign * coalesce(s.bounces, 0), (h.sign * coalesce(s.duration, 0))::bigint
FROM hourly_events h LEFT JOIN hourly_sessions s ON s.sign = h.sign AND s.hour = h.hour;
$$;
-- +goose StatementEnd
DROP FUNCTION visit_rollup_contributions(timestamptz, timestamptz, bigint[], pg_snapshot);

-- +goose Down
DROP FUNCTION visit_rollup_delta(timestamptz, timestamptz, bigint[], pg_snapshot, pg_snapshot);
-- visit_rollup_contributions as migration 00310 made it.
-- +goose StatementBegin
CREATE FUNCTION visit_rollup_contributions(day_start timestamptz, day_end timestamptz, only_visitors bigint[], upto pg_snapshot)
RETURNS TABLE (dimension text, value text, hour timestamptz, visitors bigint, visits bigint, pageviews bigint,
    events bigint, bounces bigint, duration bigint)
LANGUAGE sql STABLE AS $$
WITH ev AS (
    SELECT ts, visitor_id, name, pathname, referrer, source, utm_source, utm_medium, utm_campaign, utm_content,
        utm_term, country, device, browser, os,
        row_number() OVER w AS rn,
        CASE WHEN ts - lag(ts) OVER w <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
    FROM visit_events
    WHERE ts >= day_start AND ts < day_end AND visitor_id = ANY (only_visitors)
        AND coalesce(pg_visible_in_snapshot(xact, upto), upto IS NOT NULL)
    WINDOW w AS (PARTITION BY visitor_id ORDER BY ts, name, pathname, referrer, source, utm_source, utm_medium,
        utm_campaign, utm_content, utm_term, country, device, browser, os)
), numbered AS (
    SELECT ev.*, sum(starts) OVER (PARTITION BY visitor_id ORDER BY rn ROWS UNBOUNDED PRECEDING) AS session
    FROM ev
), sessions AS (
    -- A session's first event is its one row with starts = 1, so its
    -- values need no ordered aggregate (a sort per session) but the entry
    -- page's.
    SELECT visitor_id, session, min(ts) AS started,
        coalesce((array_agg(pathname ORDER BY rn) FILTER (WHERE name = 'pageview'))[1], '') AS entry_page,
        max(referrer) FILTER (WHERE starts = 1) AS referrer,
        max(source) FILTER (WHERE starts = 1) AS source,
        max(utm_source) FILTER (WHERE starts = 1) AS utm_source,
        max(utm_medium) FILTER (WHERE starts = 1) AS utm_medium,
        max(utm_campaign) FILTER (WHERE starts = 1) AS utm_campaign,
        max(utm_content) FILTER (WHERE starts = 1) AS utm_content,
        max(utm_term) FILTER (WHERE starts = 1) AS utm_term,
        max(country) FILTER (WHERE starts = 1) AS country,
        max(device) FILTER (WHERE starts = 1) AS device,
        max(browser) FILTER (WHERE starts = 1) AS browser,
        max(os) FILTER (WHERE starts = 1) AS os,
        count(*) FILTER (WHERE name = 'pageview') AS pageviews,
        count(*) AS events,
        extract(epoch FROM max(ts) - min(ts))::bigint AS duration
    FROM numbered
    GROUP BY visitor_id, session
), session_dims AS (
    SELECT d.dimension, d.value, count(DISTINCT s.visitor_id) AS visitors, count(*) AS visits,
        sum(s.pageviews) AS pageviews, sum(s.events) AS events,
        count(*) FILTER (WHERE s.events = 1 AND s.pageviews = 1) AS bounces, sum(s.duration) AS duration
    FROM sessions s
    CROSS JOIN LATERAL (VALUES ('', ''), ('entry_page', s.entry_page), ('source', s.source), ('referrer', s.referrer),
        ('utm_source', s.utm_source), ('utm_medium', s.utm_medium), ('utm_campaign', s.utm_campaign),
        ('utm_content', s.utm_content), ('utm_term', s.utm_term), ('country', s.country), ('device', s.device),
        ('browser', s.browser), ('os', s.os)) AS d (dimension, value)
    GROUP BY d.dimension, d.value
), event_sessions AS (
    SELECT d.dimension, d.value, n.visitor_id, n.session,
        count(*) FILTER (WHERE n.name = 'pageview') AS pageviews, count(*) AS events
    FROM numbered n
    CROSS JOIN LATERAL (VALUES ('page', CASE WHEN n.name = 'pageview' THEN n.pathname END), ('event_name', n.name)) AS d (dimension, value)
    WHERE d.value IS NOT NULL
    GROUP BY d.dimension, d.value, n.visitor_id, n.session
), event_dims AS (
    SELECT e.dimension, e.value, count(DISTINCT e.visitor_id) AS visitors, count(*) AS visits,
        sum(e.pageviews) AS pageviews, sum(e.events) AS events,
        count(*) FILTER (WHERE s.events = 1 AND s.pageviews = 1) AS bounces, sum(s.duration) AS duration
    FROM event_sessions e
    JOIN sessions s ON s.visitor_id = e.visitor_id AND s.session = e.session
    GROUP BY e.dimension, e.value
), hourly_events AS (
    SELECT date_trunc('hour', ts) AS hour, count(DISTINCT visitor_id) AS visitors,
        count(*) FILTER (WHERE name = 'pageview') AS pageviews, count(*) AS events
    FROM numbered
    GROUP BY 1
), hourly_sessions AS (
    SELECT date_trunc('hour', started) AS hour, count(*) AS visits,
        count(*) FILTER (WHERE events = 1 AND pageviews = 1) AS bounces, sum(duration) AS duration
    FROM sessions
    GROUP BY 1
)
SELECT dimension, value, NULL::timestamptz, visitors, visits, pageviews::bigint, events::bigint, bounces, duration::bigint
FROM session_dims
UNION ALL
SELECT dimension, value, NULL::timestamptz, visitors, visits, pageviews::bigint, events::bigint, bounces, duration::bigint
FROM event_dims
UNION ALL
SELECT NULL, NULL, h.hour, h.visitors, coalesce(s.visits, 0), h.pageviews, h.events, coalesce(s.bounces, 0),
    coalesce(s.duration, 0)::bigint
FROM hourly_events h LEFT JOIN hourly_sessions s ON s.hour = h.hour;
$$;
-- +goose StatementEnd
