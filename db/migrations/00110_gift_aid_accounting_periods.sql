-- A Gift Aid claim records the accounting year end (MM-DD) it was made
-- under: its aggregated lines never add up gifts of two accounting
-- periods, and are rebuilt the same whatever the configuration says later.
-- Claims made before were made without periods; 03-31 is the default.

-- +goose Up
ALTER TABLE gift_aid_claims
    ADD COLUMN accounting_year_end text NOT NULL DEFAULT '03-31' CHECK (accounting_year_end ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$');

-- +goose Down
ALTER TABLE gift_aid_claims DROP COLUMN accounting_year_end;
