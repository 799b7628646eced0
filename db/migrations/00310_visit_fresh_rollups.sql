-- Fresh rollups: an open day's rollups are brought up to date every second
-- by recounting only the visitors with new events (docs/statistics.md,
-- "How fresh the figures are").
--
-- Every figure of a day's rollups is a sum over its visitors: a visitor's
-- sessions, page views, bounces and durations are theirs alone, and each
-- visitor adds 1 to the visitors of every value (and hour) they reach. So
-- when a visitor's new events arrive, the rollups change by what that
-- visitor's events count now minus what they counted before, whatever the
-- order the events came in (a late event joining two sessions included).
-- "Before" is a snapshot: the events a pass counted are exactly those
-- visible in the snapshot it recorded for the day (visit_rollup_marks), and
-- the next pass counts those not visible in it, which no commit order can
-- make it miss.

-- +goose Up
-- The transaction that wrote each event. Rows written before this column
-- existed have none and count as seen by every pass. Setting the default
-- separately rewrites no existing row.
ALTER TABLE visit_events ADD COLUMN xact xid8;
ALTER TABLE visit_events ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
-- The events a pass has not seen yet (xact increases as they are written).
CREATE INDEX visit_events_xact ON visit_events (xact);
-- A visitor's events of the day, for recounting that visitor alone.
CREATE INDEX visit_events_visitor ON visit_events (visitor_id);

-- The snapshot each open day's rollups were last brought up to: they count
-- exactly the day's events visible in seen. A day's row goes when the day
-- closes and its final full recount runs.
CREATE TABLE visit_rollup_marks (
    day        date PRIMARY KEY,
    seen       pg_snapshot NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- visit_rollup_contributions counts what the given visitors' events of one
-- site-local day (from day_start to day_end) that are visible in upto add
-- to the day's rollups: rows with hour NULL are daily rows (dimension,
-- value), rows with dimension NULL hourly ones. A NULL upto counts nothing.
-- The rules are visit_rollup_day's (the full recount, which stays the
-- reference); events with the same timestamp are ordered by their values,
-- so that a visitor counts the same on every pass.
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

-- +goose Down
DROP FUNCTION visit_rollup_contributions(timestamptz, timestamptz, bigint[], pg_snapshot);
DROP TABLE visit_rollup_marks;
DROP INDEX visit_events_visitor;
DROP INDEX visit_events_xact;
ALTER TABLE visit_events DROP COLUMN xact;
