-- A filter on a dimension a visit holds one value of (its source, device,
-- country…) compares that value with the values matched (= ANY) instead
-- of building a one-element array per visit row to overlap them: the same
-- answer, less time per row scanned, and, inlined, a comparison the
-- planner estimates from the column's statistics (the arrays compared are
-- never NULL: the columns are NOT NULL and the values matched a list, so
-- no coalesce hides the comparison from it). docs/performance.md,
-- "Filtered queries: scalar comparisons and funnels (2026-12-07, second
-- session)", has the figures.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION visit_row_has(dimension text, matched text[], pages text[], names text[], prop_pairs text[], entry_page text,
    source text, referrer text, utm_source text, utm_medium text, utm_campaign text, utm_content text, utm_term text,
    country text, device text, browser text, os text, screen_size text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE dimension WHEN 'page' THEN pages && matched WHEN 'event_name' THEN names && matched
    WHEN 'entry_page' THEN entry_page = ANY (matched) WHEN 'source' THEN source = ANY (matched)
    WHEN 'referrer' THEN referrer = ANY (matched) WHEN 'utm_source' THEN utm_source = ANY (matched)
    WHEN 'utm_medium' THEN utm_medium = ANY (matched) WHEN 'utm_campaign' THEN utm_campaign = ANY (matched)
    WHEN 'utm_content' THEN utm_content = ANY (matched) WHEN 'utm_term' THEN utm_term = ANY (matched)
    WHEN 'country' THEN country = ANY (matched) WHEN 'device' THEN device = ANY (matched) WHEN 'browser' THEN browser = ANY (matched)
    WHEN 'os' THEN os = ANY (matched) WHEN 'screen_size' THEN screen_size = ANY (matched) ELSE prop_pairs && matched END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION visit_row_has(dimension text, matched text[], pages text[], names text[], prop_pairs text[], entry_page text,
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
