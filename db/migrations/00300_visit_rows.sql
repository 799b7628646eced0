-- Compact per-visit rows: one row per visit, rebuilt from a day's raw
-- events in the same transaction as its rollups, so that queries filtering
-- on a dimension they do not group by, funnels and goals read visits
-- instead of numbering raw events into visits on every call. They hold
-- what the raw events hold about a visit (no IP address or User-Agent) and
-- follow the raw events' retention (HPA_VISITS_RAW_RETENTION_DAYS).

-- +goose Up
CREATE TABLE visit_rows (
    day           date NOT NULL,
    visitor_id    bigint NOT NULL,
    -- The visit's number among the visitor's visits of the day.
    session       bigint NOT NULL,
    -- The first page viewed ('' for none) and the last.
    entry_page    text NOT NULL,
    exit_page     text NOT NULL,
    -- The visit's first event's values, as the rollups take them.
    referrer      text NOT NULL,
    source        text NOT NULL,
    utm_source    text NOT NULL,
    utm_medium    text NOT NULL,
    utm_campaign  text NOT NULL,
    utm_content   text NOT NULL,
    utm_term      text NOT NULL,
    country       text NOT NULL,
    device        text NOT NULL,
    browser       text NOT NULL,
    os            text NOT NULL,
    screen_size   text NOT NULL,
    -- The paths viewed, each once, with how many times each was.
    pages         text[] NOT NULL,
    page_views    integer[] NOT NULL,
    -- The event names (pageview included), each once, with their counts.
    names         text[] NOT NULL,
    name_counts   integer[] NOT NULL,
    -- The props of each event that has some, with that event's name.
    props         jsonb[] NOT NULL,
    prop_names    text[] NOT NULL,
    -- The visit's property values as KEY=VALUE, each once, for the keys a
    -- query can name (event:props:KEY; such keys hold no '=').
    prop_pairs    text[] NOT NULL,
    -- The events in time order as funnels read them: the name, for a page
    -- view the path ('' otherwise), and the microseconds since the day
    -- began (events at the same instant are ordered by step, as from raw
    -- events).
    path_names    text[] NOT NULL,
    path_pages    text[] NOT NULL,
    path_times    bigint[] NOT NULL,
    pageviews     integer NOT NULL,
    events        integer NOT NULL,
    -- Seconds from the first event to the last; a bounce is a visit of a
    -- single event, a page view.
    duration      bigint NOT NULL,
    PRIMARY KEY (day, visitor_id, session)
);

-- The values each dimension takes in a day's visit rows (a property's
-- under event:props:KEY), so a filter's comparison is made once per value
-- and visits are kept by comparing arrays.
CREATE TABLE visit_row_values (
    day        date NOT NULL,
    dimension  text NOT NULL,
    value      text NOT NULL,
    PRIMARY KEY (day, dimension, value)
);

-- visit_row_has reports whether a visit's values of dimension include one
-- of matched (KEY=VALUE for a property); inlined by the planner.
-- +goose StatementBegin
CREATE FUNCTION visit_row_has(dimension text, matched text[], pages text[], names text[], prop_pairs text[], entry_page text,
    source text, referrer text, utm_source text, utm_medium text, utm_campaign text, utm_content text, utm_term text,
    country text, device text, browser text, os text, screen_size text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(CASE dimension WHEN 'page' THEN pages WHEN 'event_name' THEN names
    WHEN 'entry_page' THEN ARRAY[entry_page] WHEN 'source' THEN ARRAY[source] WHEN 'referrer' THEN ARRAY[referrer]
    WHEN 'utm_source' THEN ARRAY[utm_source] WHEN 'utm_medium' THEN ARRAY[utm_medium] WHEN 'utm_campaign' THEN ARRAY[utm_campaign]
    WHEN 'utm_content' THEN ARRAY[utm_content] WHEN 'utm_term' THEN ARRAY[utm_term] WHEN 'country' THEN ARRAY[country]
    WHEN 'device' THEN ARRAY[device] WHEN 'browser' THEN ARRAY[browser] WHEN 'os' THEN ARRAY[os]
    WHEN 'screen_size' THEN ARRAY[screen_size] ELSE prop_pairs END && matched, false)
$$;
-- +goose StatementEnd

-- Days whose visit rows are current: built, and no events since. A day is
-- answered from its visit rows when it is listed here and not in
-- visit_rollup_dirty; otherwise from its raw events.
CREATE TABLE visit_rows_days (
    day          date PRIMARY KEY,
    compacted_at timestamptz NOT NULL DEFAULT now()
);

-- New events on a day (its visit_rollup_dirty row inserted or bumped)
-- make its visit rows stale at once, whatever later clears the dirty row.
-- +goose StatementBegin
CREATE FUNCTION visit_rows_day_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM visit_rows_days WHERE day = NEW.day;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER visit_rows_day_changed AFTER INSERT OR UPDATE ON visit_rollup_dirty
FOR EACH ROW EXECUTE FUNCTION visit_rows_day_changed();

-- Days rolled up before visit rows existed are recounted by the next
-- rollup pass, which builds their visit rows (days whose raw events were
-- dropped are cleared without a recount).
INSERT INTO visit_rollup_dirty (day)
SELECT DISTINCT day FROM visit_rollups_daily WHERE dimension = ''
ON CONFLICT (day) DO UPDATE SET version = visit_rollup_dirty.version + 1;

-- +goose Down
DROP TRIGGER visit_rows_day_changed ON visit_rollup_dirty;
DROP FUNCTION visit_rows_day_changed();
DROP FUNCTION visit_row_has(text, text[], text[], text[], text[], text, text, text, text, text, text, text, text, text, text, text, text, text);
DROP TABLE visit_row_values;
DROP TABLE visit_rows_days;
DROP TABLE visit_rows;
