-- Enquiries can say "my hospital harmed me": their name, email and message
-- are sealed like members' data (AES-256-GCM, internal/sealed), and found
-- for an erasure request through the keyed hash of the address. Version 61
-- (a Go migration, internal/database/sealing.go) seals the rows already
-- here; version 62 drops the plaintext columns.

-- +goose Up
ALTER TABLE enquiries
    ADD COLUMN name_sealed    bytea,
    ADD COLUMN email_sealed   bytea,
    ADD COLUMN message_sealed bytea,
    ADD COLUMN email_hash     bytea,
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN message DROP NOT NULL;

-- +goose Down
ALTER TABLE enquiries
    DROP COLUMN name_sealed, DROP COLUMN email_sealed, DROP COLUMN message_sealed, DROP COLUMN email_hash,
    ALTER COLUMN name SET NOT NULL,
    ALTER COLUMN email SET NOT NULL,
    ALTER COLUMN message SET NOT NULL;
