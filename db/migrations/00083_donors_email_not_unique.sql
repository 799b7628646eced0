-- An email typed into Stripe is what the payer claims, not who they are:
-- two payers may give the same address, and each gets a donor record of
-- their own until a treasurer merges them. The address stops being unique.

-- +goose Up
DROP INDEX donors_email_key;
CREATE INDEX donors_email ON donors (email);

-- +goose Down
-- Fails while two donors share an address: merge them first.
DROP INDEX donors_email;
CREATE UNIQUE INDEX donors_email_key ON donors (email);
