-- Donors' addresses are sealed (versions 80 and 81): the plaintext column
-- goes, and with it the address's uniqueness. An address typed into Stripe
-- is what the payer claims, not who they are: two payers may give the
-- same one, and each gets a donor record of their own until a treasurer
-- merges them.

-- +goose Up
ALTER TABLE donors
    DROP COLUMN email,
    ADD CONSTRAINT donors_email_sealed_hashed CHECK ((email_sealed IS NULL) = (email_hash IS NULL));
CREATE INDEX donors_email_hash ON donors (email_hash) WHERE email_hash IS NOT NULL;

-- +goose Down
-- Version 81's rollback then fails while two donors share an address,
-- which that version cannot hold: merge them first.
DROP INDEX donors_email_hash;
ALTER TABLE donors
    DROP CONSTRAINT donors_email_sealed_hashed,
    ADD COLUMN email text CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254);
CREATE UNIQUE INDEX donors_email_key ON donors (email);
