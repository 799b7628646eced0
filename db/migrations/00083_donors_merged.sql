-- A treasurer merges donor records that are one person (POST
-- /v1/donors/{id}/merge): gifts, subscriptions and Gift Aid declarations
-- move to the surviving record. The merged record stays as a marker with
-- nothing personal left in it: it keeps its Stripe customer, and names the
-- survivor, so Stripe's later events for that customer land on the
-- survivor, and a monthly donor's management link still opens the
-- customer that holds their subscription.

-- +goose Up
ALTER TABLE donors
    ADD COLUMN merged_into uuid REFERENCES donors (id),
    ADD CONSTRAINT donors_merged_emptied CHECK (merged_into IS NULL OR (email_sealed IS NULL AND name = '' AND member_id IS NULL)),
    ADD CONSTRAINT donors_merged_elsewhere CHECK (merged_into <> id);
CREATE INDEX donors_merged_into ON donors (merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX donors_merged_into;
ALTER TABLE donors DROP CONSTRAINT donors_merged_emptied, DROP CONSTRAINT donors_merged_elsewhere, DROP COLUMN merged_into;
