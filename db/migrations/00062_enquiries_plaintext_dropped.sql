-- Enquiries are sealed (versions 60 and 61): the plaintext columns go.

-- +goose Up
ALTER TABLE enquiries
    DROP COLUMN name, DROP COLUMN email, DROP COLUMN message,
    ALTER COLUMN name_sealed SET NOT NULL,
    ALTER COLUMN email_sealed SET NOT NULL,
    ALTER COLUMN message_sealed SET NOT NULL,
    ALTER COLUMN email_hash SET NOT NULL;
CREATE INDEX enquiries_email_hash ON enquiries (email_hash);

-- +goose Down
ALTER TABLE enquiries
    ADD COLUMN name    text CHECK (length(name) BETWEEN 1 AND 200),
    ADD COLUMN email   text CHECK (length(email) BETWEEN 3 AND 254),
    ADD COLUMN message text CHECK (length(message) BETWEEN 1 AND 5000),
    ALTER COLUMN name_sealed DROP NOT NULL,
    ALTER COLUMN email_sealed DROP NOT NULL,
    ALTER COLUMN message_sealed DROP NOT NULL,
    ALTER COLUMN email_hash DROP NOT NULL;
DROP INDEX enquiries_email_hash;
