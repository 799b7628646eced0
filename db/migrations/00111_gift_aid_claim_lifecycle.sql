-- Gift Aid claims get HMRC's lifecycle: a claim is a draft until the
-- treasurer files it in Charities Online (submitted); HMRC accepts or
-- rejects it; a draft or submitted claim may be voided. A rejected or void
-- claim lets its gifts go, to be claimed again, yet keeps the record of
-- what it held: gift_aid_claim_gifts lists each claim's gifts for good,
-- and `live` (false once the claim is rejected or void) lets the database
-- refuse a gift in two live claims. donations.gift_aid_claim_id and its
-- companions name the gift's live claim only.

-- +goose Up
ALTER TABLE gift_aid_claims
    ADD COLUMN status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('draft', 'submitted', 'accepted', 'rejected', 'void')),
    ADD COLUMN hmrc_reference text CHECK (length(hmrc_reference) BETWEEN 1 AND 100),
    ADD COLUMN submitted_on date,
    ADD COLUMN submitted_by uuid,
    ADD COLUMN decided_on date,
    ADD COLUMN decided_by uuid,
    ADD COLUMN decision_note text CHECK (length(decision_note) <= 500),
    ADD COLUMN resubmission_of uuid REFERENCES gift_aid_claims (id),
    ADD CONSTRAINT gift_aid_claims_submitted CHECK (status = 'draft' OR status = 'void' OR submitted_on IS NOT NULL),
    ADD CONSTRAINT gift_aid_claims_decided CHECK (status IN ('draft', 'submitted') OR decided_on IS NOT NULL);
-- Claims made before the lifecycle were filed as they were made.
UPDATE gift_aid_claims SET submitted_on = (created_at AT TIME ZONE 'Europe/London')::date;
ALTER TABLE gift_aid_claims ALTER COLUMN status SET DEFAULT 'draft';

CREATE TABLE gift_aid_claim_gifts (
    claim_id       uuid NOT NULL REFERENCES gift_aid_claims (id),
    donation_id    uuid NOT NULL REFERENCES donations (id),
    -- The declaration that covered the gift.
    declaration_id uuid NOT NULL REFERENCES gift_aid_declarations (id),
    claimed_pence  bigint NOT NULL CHECK (claimed_pence > 0),
    live           boolean NOT NULL DEFAULT true,
    PRIMARY KEY (claim_id, donation_id)
);
CREATE UNIQUE INDEX gift_aid_claim_gifts_once ON gift_aid_claim_gifts (donation_id) WHERE live;
INSERT INTO gift_aid_claim_gifts (claim_id, donation_id, declaration_id, claimed_pence)
SELECT gift_aid_claim_id, id, gift_aid_claimed_declaration_id, gift_aid_claimed_pence FROM donations WHERE gift_aid_claim_id IS NOT NULL;

-- +goose Down
DROP TABLE gift_aid_claim_gifts;
ALTER TABLE gift_aid_claims DROP CONSTRAINT gift_aid_claims_decided, DROP CONSTRAINT gift_aid_claims_submitted,
    DROP COLUMN resubmission_of, DROP COLUMN decision_note, DROP COLUMN decided_by, DROP COLUMN decided_on,
    DROP COLUMN submitted_by, DROP COLUMN submitted_on, DROP COLUMN hmrc_reference, DROP COLUMN status;
