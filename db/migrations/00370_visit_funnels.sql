-- Saved funnels: a named, ordered list of 2 to 8 steps (a page path
-- pattern or a custom event's name each) that staff evaluate over any
-- range, that the export counts, and that a shared link may include.
-- Like goals, they are counted from raw events when evaluated, so saving
-- one stores no figures.

-- +goose Up
CREATE TABLE visit_funnels (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 60),
    -- [{"page": "/donate"}, {"event_name": "donate-clicked"}, ...]
    steps      jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array' AND jsonb_array_length(steps) BETWEEN 2 AND 8),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The saved funnels a shared link reads; deleting either side drops the
-- line, so a deleted funnel is never read through an old link.
CREATE TABLE visit_share_funnels (
    share_id  uuid NOT NULL REFERENCES visit_shares (id) ON DELETE CASCADE,
    funnel_id uuid NOT NULL REFERENCES visit_funnels (id) ON DELETE CASCADE,
    PRIMARY KEY (share_id, funnel_id)
);
CREATE INDEX visit_share_funnels_funnel ON visit_share_funnels (funnel_id);

-- +goose Down
DROP TABLE visit_share_funnels;
DROP TABLE visit_funnels;
