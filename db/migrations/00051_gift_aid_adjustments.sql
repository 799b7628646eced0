-- Gift Aid on gifts refunded after they were claimed. A claimed gift
-- records the amount claimed on, so a claim's schedule never changes
-- afterwards; a later refund leaves Gift Aid overclaimed on the refunded
-- part, which HMRC wants paid back through the next claim's adjustment.
-- Each adjustment records the gift, the claim that carries it and the
-- amount, so none is made twice.

-- +goose Up
ALTER TABLE donations ADD COLUMN gift_aid_claimed_pence bigint;
UPDATE donations SET gift_aid_claimed_pence = amount_pence - refunded_pence WHERE gift_aid_claim_id IS NOT NULL;
ALTER TABLE donations ADD CONSTRAINT donations_gift_aid_claimed_amount
    CHECK ((gift_aid_claim_id IS NULL) = (gift_aid_claimed_pence IS NULL));

ALTER TABLE gift_aid_claims ADD COLUMN adjustment_pence bigint NOT NULL DEFAULT 0 CHECK (adjustment_pence >= 0);

CREATE TABLE gift_aid_adjustments (
    donation_id       uuid NOT NULL REFERENCES donations (id),
    claim_id          uuid NOT NULL REFERENCES gift_aid_claims (id),
    overclaimed_pence bigint NOT NULL CHECK (overclaimed_pence > 0),
    gift_aid_pence    bigint NOT NULL CHECK (gift_aid_pence >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (donation_id, claim_id)
);
CREATE INDEX gift_aid_adjustments_claim ON gift_aid_adjustments (claim_id);

-- +goose Down
DROP TABLE gift_aid_adjustments;
ALTER TABLE gift_aid_claims DROP COLUMN adjustment_pence;
ALTER TABLE donations DROP CONSTRAINT donations_gift_aid_claimed_amount, DROP COLUMN gift_aid_claimed_pence;
