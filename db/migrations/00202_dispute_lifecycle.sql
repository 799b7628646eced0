-- A dispute runs its course: an inquiry or dispute opens, funds are
-- withdrawn (with Stripe's dispute fee), and it closes won (funds
-- reinstated) or lost. dispute_event_at is the Stripe time of the last
-- dispute event applied, so one delivered late never undoes a newer
-- state. A refund can fail or be cancelled after it was made: its row says
-- so, and no longer counts.

-- +goose Up
ALTER TABLE donations
    ADD COLUMN dispute_event_at timestamptz,
    ADD COLUMN dispute_fee_pence bigint NOT NULL DEFAULT 0;
ALTER TABLE donation_refunds
    ADD COLUMN status text NOT NULL DEFAULT 'succeeded' CHECK (status IN ('succeeded', 'failed', 'canceled'));

-- +goose Down
ALTER TABLE donation_refunds DROP COLUMN status;
ALTER TABLE donations DROP COLUMN dispute_fee_pence, DROP COLUMN dispute_event_at;
