-- Stripe events HPA acts on but cannot read: sent in an API version other
-- than the one the code is written for (the webhook endpoint is not
-- pinned to it). They are refused with 503, so Stripe retries them, and
-- are recorded here, so staff are alerted once per event rather than at
-- every retry. Nothing here is applied: once the endpoint is pinned,
-- Stripe's retries (or a resend from the dashboard) apply the events.

-- +goose Up
CREATE TABLE stripe_unreadable_events (
    id            text PRIMARY KEY,
    type          text NOT NULL,
    api_version   text NOT NULL,
    attempts      integer NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE stripe_unreadable_events;
