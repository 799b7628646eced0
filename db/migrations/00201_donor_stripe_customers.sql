-- Every Stripe customer a donor record holds. donors.stripe_customer_id
-- is the first; a member who gives again is normally given the same
-- customer at checkout, but when Stripe made another one for them (a gift
-- before checkouts reused customers, or one a treasurer started), its
-- payments, failed-payment emails and portal still belong to the member's
-- record: the customer is added here rather than making a second donor.

-- +goose Up
CREATE TABLE donor_stripe_customers (
    stripe_customer_id text PRIMARY KEY CHECK (length(stripe_customer_id) <= 255),
    donor_id           uuid NOT NULL REFERENCES donors (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX donor_stripe_customers_donor ON donor_stripe_customers (donor_id, created_at);
INSERT INTO donor_stripe_customers (stripe_customer_id, donor_id, created_at)
SELECT stripe_customer_id, id, created_at FROM donors WHERE stripe_customer_id IS NOT NULL;

-- +goose Down
DROP TABLE donor_stripe_customers;
