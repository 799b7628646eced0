-- Goals staff define for conversions: a custom event (donate-clicked) or
-- a page path pattern (/donate/thanks, /news/*). Counted from raw events,
-- so a goal defined today counts the visits already kept.

-- +goose Up
CREATE TABLE visit_goals (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 60),
    event_name text CHECK (length(event_name) BETWEEN 1 AND 60),
    page_path  text CHECK (length(page_path) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((event_name IS NULL) <> (page_path IS NULL))
);

-- +goose Down
DROP TABLE visit_goals;
