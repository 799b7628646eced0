-- Visit statistics: raw events in monthly partitions, daily salts for the
-- visitor hash, rollups the stats API reads, and the public counter's
-- historic baseline. No column ever holds an IP address or a User-Agent.

-- +goose Up
-- Raw events, partitioned by month so old ones are dropped a partition at a
-- time. visitor_id is a keyed hash of (daily salt, site, IP, User-Agent):
-- with the salt deleted after its day it cannot be linked to any other day.
CREATE TABLE visit_events (
    ts              timestamptz NOT NULL,
    visitor_id      bigint NOT NULL,
    name            text NOT NULL,
    hostname        text NOT NULL,
    pathname        text NOT NULL,
    referrer        text NOT NULL,
    source          text NOT NULL,
    utm_source      text NOT NULL,
    utm_medium      text NOT NULL,
    utm_campaign    text NOT NULL,
    utm_content     text NOT NULL,
    utm_term        text NOT NULL,
    country         text NOT NULL,
    device          text NOT NULL,
    browser         text NOT NULL,
    os              text NOT NULL,
    screen_width    integer NOT NULL,
    props           jsonb
) PARTITION BY RANGE (ts);
-- Rollups read a day at a time and realtime the last minutes. Beacons
-- arrive in time order, so inserts land on the rightmost leaf (cheap).
CREATE INDEX visit_events_ts ON visit_events (ts);

-- +goose StatementBegin
-- visit_events_ensure_partitions creates the monthly partitions covering
-- months months from from_month on, and returns how many it created. Safe
-- to call concurrently from several processes.
CREATE FUNCTION visit_events_ensure_partitions(from_month date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m       date;
    created integer := 0;
    part    text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        m := (date_trunc('month', from_month) + make_interval(months => i))::date;
        part := 'visit_events_' || to_char(m, 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF visit_events FOR VALUES FROM (%L) TO (%L)',
                    part, (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                created := created + 1;
            EXCEPTION WHEN duplicate_table OR invalid_object_definition THEN
                -- another process created it first
            END;
        END IF;
    END LOOP;
    RETURN created;
END
$$;

-- visit_events_drop_partitions_before drops every monthly partition that
-- ends at or before cutoff and returns how many it dropped.
CREATE FUNCTION visit_events_drop_partitions_before(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part    record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'visit_events'::regclass AND c.relname ~ '^visit_events_[0-9]{4}_[0-9]{2}$'
    LOOP
        IF ((to_date(substr(part.relname, 14), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$$;
-- +goose StatementEnd

SELECT visit_events_ensure_partitions((now() - interval '1 month')::date, 4);

-- One random salt per site-local day. Each process reads the day's salt
-- from here, so all agree; salts of past days are deleted.
CREATE TABLE visit_salts (
    day        date PRIMARY KEY,
    salt       bytea NOT NULL CHECK (length(salt) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Client event IDs already written, so a retried batch is counted once.
-- Only a hash of the sender's ID is kept, for two days.
CREATE TABLE visit_event_ids (
    id_hash     bytea PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_event_ids_received ON visit_event_ids (received_at);

-- Batches the writer committed: after a failure whose outcome is unknown
-- (the connection died during COMMIT) a retry checks here first.
CREATE TABLE visit_write_batches (
    id         uuid PRIMARY KEY,
    written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_write_batches_written ON visit_write_batches (written_at);

-- Days whose rollups are behind their raw events. Writers bump version;
-- the rollup job removes a row only if the version it rolled up is current.
CREATE TABLE visit_rollup_dirty (
    day     date PRIMARY KEY,
    version bigint NOT NULL DEFAULT 1
);

-- Daily rollups per dimension value; dimension '' with value '' holds the
-- day's totals. Visitors are distinct visitor IDs within the day.
CREATE TABLE visit_rollups_daily (
    day        date NOT NULL,
    dimension  text NOT NULL,
    -- Byte order: grouping and sorting values needs no locale rules.
    value      text COLLATE "C" NOT NULL,
    visitors   bigint NOT NULL,
    visits     bigint NOT NULL,
    pageviews  bigint NOT NULL,
    events     bigint NOT NULL,
    bounces    bigint NOT NULL,
    duration   bigint NOT NULL,
    PRIMARY KEY (dimension, day, value)
);

-- Monthly sums of the daily rollups, so a year is 12 rows per value.
CREATE TABLE visit_rollups_monthly (
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    dimension  text NOT NULL,
    -- Byte order: grouping and sorting values needs no locale rules.
    value      text COLLATE "C" NOT NULL,
    visitors   bigint NOT NULL,
    visits     bigint NOT NULL,
    pageviews  bigint NOT NULL,
    events     bigint NOT NULL,
    bounces    bigint NOT NULL,
    duration   bigint NOT NULL,
    PRIMARY KEY (dimension, month, value)
);

-- Hourly totals: visitors distinct within the hour, visits by start hour.
CREATE TABLE visit_rollups_hourly (
    hour       timestamptz PRIMARY KEY,
    visitors   bigint NOT NULL,
    visits     bigint NOT NULL,
    pageviews  bigint NOT NULL,
    events     bigint NOT NULL,
    bounces    bigint NOT NULL,
    duration   bigint NOT NULL
);

-- Requests recognised as bots or floods, counted and never stored.
CREATE TABLE visit_bot_counts (
    day    date NOT NULL,
    reason text NOT NULL,
    count  bigint NOT NULL,
    PRIMARY KEY (day, reason)
);

-- The public counter starts from the site's historic total.
CREATE TABLE visit_counter (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    baseline   bigint NOT NULL CHECK (baseline >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- visit_rollup_day inserts the daily and hourly rollups of one site-local
-- day (from day_start to day_end), recounted from its raw events, and
-- returns how many rows it wrote. The caller deletes the old ones first.
-- Sessions end after 30
-- idle minutes (visitor IDs change daily, so none spans two days). Session
-- dimensions take the session's first event; page and event_name rows
-- count the sessions that contain them.
CREATE FUNCTION visit_rollup_day(rollup_day date, day_start timestamptz, day_end timestamptz) RETURNS bigint
LANGUAGE sql AS $$
WITH ev AS (
    SELECT ts, visitor_id, name, pathname, referrer, source, utm_source, utm_medium, utm_campaign, utm_content,
        utm_term, country, device, browser, os,
        CASE WHEN ts - lag(ts) OVER (PARTITION BY visitor_id ORDER BY ts) <= interval '30 minutes' THEN 0 ELSE 1 END AS starts
    FROM visit_events
    WHERE ts >= day_start AND ts < day_end
), numbered AS (
    SELECT ev.*, sum(starts) OVER (PARTITION BY visitor_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS session
    FROM ev
), sessions AS (
    SELECT visitor_id, session, min(ts) AS started,
        coalesce((array_agg(pathname ORDER BY ts) FILTER (WHERE name = 'pageview'))[1], '') AS entry_page,
        (array_agg(referrer ORDER BY ts))[1] AS referrer,
        (array_agg(source ORDER BY ts))[1] AS source,
        (array_agg(utm_source ORDER BY ts))[1] AS utm_source,
        (array_agg(utm_medium ORDER BY ts))[1] AS utm_medium,
        (array_agg(utm_campaign ORDER BY ts))[1] AS utm_campaign,
        (array_agg(utm_content ORDER BY ts))[1] AS utm_content,
        (array_agg(utm_term ORDER BY ts))[1] AS utm_term,
        (array_agg(country ORDER BY ts))[1] AS country,
        (array_agg(device ORDER BY ts))[1] AS device,
        (array_agg(browser ORDER BY ts))[1] AS browser,
        (array_agg(os ORDER BY ts))[1] AS os,
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
), daily_rows AS (
    INSERT INTO visit_rollups_daily (day, dimension, value, visitors, visits, pageviews, events, bounces, duration)
    SELECT rollup_day, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM session_dims
    UNION ALL
    SELECT rollup_day, dimension, value, visitors, visits, pageviews, events, bounces, duration FROM event_dims
    RETURNING 1
), hourly_rows AS (
    INSERT INTO visit_rollups_hourly (hour, visitors, visits, pageviews, events, bounces, duration)
    SELECT h.hour, h.visitors, coalesce(s.visits, 0), h.pageviews, h.events, coalesce(s.bounces, 0), coalesce(s.duration, 0)
    FROM hourly_events h LEFT JOIN hourly_sessions s ON s.hour = h.hour
    RETURNING 1
)
SELECT (SELECT count(*) FROM daily_rows) + (SELECT count(*) FROM hourly_rows);
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE visit_counter;
DROP TABLE visit_bot_counts;
DROP TABLE visit_rollups_hourly;
DROP TABLE visit_rollups_monthly;
DROP TABLE visit_rollups_daily;
DROP TABLE visit_rollup_dirty;
DROP TABLE visit_write_batches;
DROP TABLE visit_event_ids;
DROP TABLE visit_salts;
DROP TABLE visit_events;
DROP FUNCTION visit_rollup_day(date, timestamptz, timestamptz);
DROP FUNCTION visit_events_drop_partitions_before(timestamptz);
DROP FUNCTION visit_events_ensure_partitions(date, integer);
