-- Donors' email addresses are sealed like members' (AES-256-GCM,
-- internal/sealed, bound to the donor's ID) and found through the keyed
-- hash of the normalised address (hpa.EmailKey). Version 81 (a Go
-- migration, internal/database/sealing.go) seals the addresses already
-- here; version 82 drops the plaintext column.

-- +goose Up
ALTER TABLE donors
    ADD COLUMN email_sealed bytea,
    ADD COLUMN email_hash   bytea;

-- +goose Down
ALTER TABLE donors DROP COLUMN email_sealed, DROP COLUMN email_hash;
