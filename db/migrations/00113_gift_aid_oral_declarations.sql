-- Oral declarations as HMRC allows them: recorded when the donor makes
-- one, with either a reference to an auditable recording of the call or,
-- later, the date HPA sent the donor the written record. The donor may
-- cancel within 30 days of that record being sent, and the declaration is
-- then treated as never made (cancelled_retrospectively).

-- +goose Up
ALTER TABLE gift_aid_declarations
    DROP CONSTRAINT gift_aid_declarations_check,
    ADD COLUMN recording_reference text CHECK (length(recording_reference) BETWEEN 1 AND 200),
    ADD COLUMN cancelled_retrospectively boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT gift_aid_declarations_oral_evidence CHECK (recording_reference IS NULL OR method = 'oral'),
    ADD CONSTRAINT gift_aid_declarations_retrospective CHECK (NOT cancelled_retrospectively OR (method = 'oral' AND cancelled_at IS NOT NULL));

-- +goose Down
UPDATE gift_aid_declarations SET confirmation_sent_on = declared_on WHERE method = 'oral' AND confirmation_sent_on IS NULL;
ALTER TABLE gift_aid_declarations
    DROP CONSTRAINT gift_aid_declarations_retrospective, DROP CONSTRAINT gift_aid_declarations_oral_evidence,
    DROP COLUMN cancelled_retrospectively, DROP COLUMN recording_reference,
    ADD CONSTRAINT gift_aid_declarations_check CHECK (method <> 'oral' OR confirmation_sent_on IS NOT NULL);
