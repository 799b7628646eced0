-- Narrow visit rows: a filtered query reads every visit row of its range,
-- so the rows it scans hold only what filters and most breakdowns need.
-- The wide parts (each event's properties, and the events in time order
-- for funnels), which only property breakdowns and funnels read, move to
-- visit_row_paths, a row per visit with the same key; and the visits a
-- query keeps are selected by one inlinable function, visit_rows_kept,
-- shared by the queries of each kind (no shared, materialised CTE around
-- the scan, so PostgreSQL may scan in parallel). docs/performance.md,
-- "Filtered queries from narrow visit rows", has the figures.

-- +goose Up
CREATE TABLE visit_row_paths (
    day         date NOT NULL,
    visitor_id  bigint NOT NULL,
    session     bigint NOT NULL,
    -- As they were in visit_rows (00300): the props of each event that has
    -- some, with that event's name; the events in time order.
    props       jsonb[] NOT NULL,
    prop_names  text[] NOT NULL,
    path_names  text[] NOT NULL,
    path_pages  text[] NOT NULL,
    path_times  bigint[] NOT NULL,
    PRIMARY KEY (day, visitor_id, session)
);
INSERT INTO visit_row_paths (day, visitor_id, session, props, prop_names, path_names, path_pages, path_times)
SELECT day, visitor_id, session, props, prop_names, path_names, path_pages, path_times FROM visit_rows;

ALTER TABLE visit_rows DROP COLUMN props, DROP COLUMN prop_names, DROP COLUMN path_names, DROP COLUMN path_pages,
    DROP COLUMN path_times;
-- Rewrites the table without the dropped columns' bytes.
CLUSTER visit_rows USING visit_rows_pkey;

-- +goose StatementBegin
-- visit_rows_kept returns the visit rows of the days of [day_from, day_to)
-- but raw_days that a query's filters keep: with fast, at most four
-- comparisons, each on dimension dN with the values it matches mN (listed
-- from visit_row_values), negated by nN, a visit kept when every clause
-- cN (a bit per comparison, 0 for none) has a comparison that holds;
-- without, the filters (clauses of comparisons, as JSON) compared visit
-- by visit. Not strict and stable, so the planner inlines it into each
-- query as if written there.
CREATE FUNCTION visit_rows_kept(day_from date, day_to date, raw_days date[], fast boolean,
    c1 integer, c2 integer, c3 integer, c4 integer, d1 text, d2 text, d3 text, d4 text,
    m1 text[], m2 text[], m3 text[], m4 text[], n1 boolean, n2 boolean, n3 boolean, n4 boolean, filters jsonb)
RETURNS SETOF visit_rows LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT s.* FROM visit_rows s
CROSS JOIN LATERAL (SELECT
    visit_row_has(d1, m1, s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
        s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> n1 AS h1,
    visit_row_has(d2, m2, s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
        s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> n2 AS h2,
    visit_row_has(d3, m3, s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
        s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> n3 AS h3,
    visit_row_has(d4, m4, s.pages, s.names, s.prop_pairs, s.entry_page, s.source, s.referrer, s.utm_source, s.utm_medium,
        s.utm_campaign, s.utm_content, s.utm_term, s.country, s.device, s.browser, s.os, s.screen_size) <> n4 AS h4
) h
WHERE s.day >= day_from AND s.day < day_to AND s.day <> ALL (raw_days) AND (NOT fast OR (
    (c1 = 0 OR (c1 & 1 <> 0 AND h.h1) OR (c1 & 2 <> 0 AND h.h2) OR (c1 & 4 <> 0 AND h.h3) OR (c1 & 8 <> 0 AND h.h4))
    AND (c2 = 0 OR (c2 & 1 <> 0 AND h.h1) OR (c2 & 2 <> 0 AND h.h2) OR (c2 & 4 <> 0 AND h.h3) OR (c2 & 8 <> 0 AND h.h4))
    AND (c3 = 0 OR (c3 & 1 <> 0 AND h.h1) OR (c3 & 2 <> 0 AND h.h2) OR (c3 & 4 <> 0 AND h.h3) OR (c3 & 8 <> 0 AND h.h4))
    AND (c4 = 0 OR (c4 & 1 <> 0 AND h.h1) OR (c4 & 2 <> 0 AND h.h2) OR (c4 & 4 <> 0 AND h.h3) OR (c4 & 8 <> 0 AND h.h4))
)) AND (fast OR NOT EXISTS (
    -- Any other filters: compared visit by visit, as from raw events (a
    -- property's values from prop_pairs, KEY=VALUE).
    SELECT 1 FROM jsonb_array_elements(filters) c
    WHERE NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(c) f
        CROSS JOIN LATERAL (SELECT CASE f->>'dimension'
                WHEN 'page' THEN s.pages WHEN 'event_name' THEN s.names
                WHEN 'entry_page' THEN ARRAY[s.entry_page] WHEN 'source' THEN ARRAY[s.source] WHEN 'referrer' THEN ARRAY[s.referrer]
                WHEN 'utm_source' THEN ARRAY[s.utm_source] WHEN 'utm_medium' THEN ARRAY[s.utm_medium]
                WHEN 'utm_campaign' THEN ARRAY[s.utm_campaign] WHEN 'utm_content' THEN ARRAY[s.utm_content]
                WHEN 'utm_term' THEN ARRAY[s.utm_term] WHEN 'country' THEN ARRAY[s.country] WHEN 'device' THEN ARRAY[s.device]
                WHEN 'browser' THEN ARRAY[s.browser] WHEN 'os' THEN ARRAY[s.os] WHEN 'screen_size' THEN ARRAY[s.screen_size]
                ELSE ARRAY(SELECT substr(kv, length(f->>'dimension') - 10) FROM unnest(s.prop_pairs) kv
                    WHERE f->>'dimension' LIKE 'event:props:%' AND starts_with(kv, substr(f->>'dimension', 13) || '=')) END AS vals) v
        WHERE (f->>'negate')::boolean <> EXISTS (
            SELECT 1 FROM unnest(v.vals) AS got (val), jsonb_array_elements_text(f->'values') AS want (val)
            WHERE CASE f->>'operator'
                WHEN 'is' THEN CASE WHEN (f->>'ignore_case')::boolean THEN lower(got.val) = lower(want.val) ELSE got.val = want.val END
                WHEN 'contains' THEN CASE WHEN (f->>'ignore_case')::boolean THEN strpos(lower(got.val), lower(want.val)) > 0
                    ELSE strpos(got.val, want.val) > 0 END
                ELSE CASE WHEN (f->>'ignore_case')::boolean THEN got.val ~* want.val ELSE got.val ~ want.val END END)
    )
))
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION visit_rows_kept(date, date, date[], boolean, integer, integer, integer, integer, text, text, text, text,
    text[], text[], text[], text[], boolean, boolean, boolean, boolean, jsonb);
ALTER TABLE visit_rows ADD COLUMN props jsonb[] NOT NULL DEFAULT '{}', ADD COLUMN prop_names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN path_names text[] NOT NULL DEFAULT '{}', ADD COLUMN path_pages text[] NOT NULL DEFAULT '{}',
    ADD COLUMN path_times bigint[] NOT NULL DEFAULT '{}';
UPDATE visit_rows s SET props = p.props, prop_names = p.prop_names, path_names = p.path_names, path_pages = p.path_pages,
    path_times = p.path_times
FROM visit_row_paths p WHERE p.day = s.day AND p.visitor_id = s.visitor_id AND p.session = s.session;
ALTER TABLE visit_rows ALTER COLUMN props DROP DEFAULT, ALTER COLUMN prop_names DROP DEFAULT,
    ALTER COLUMN path_names DROP DEFAULT, ALTER COLUMN path_pages DROP DEFAULT, ALTER COLUMN path_times DROP DEFAULT;
DROP TABLE visit_row_paths;
