-- The Gift Aid Small Donations Scheme (GASDS): small cash or contactless
-- gifts, anonymous and without declarations, on which HMRC pays a top-up
-- within an annual limit. They are gifts in the ledger like any other,
-- marked small_donation; a claim that takes one records it in
-- gift_aid_claim_gifts without a declaration, and totals them per claim.

-- +goose Up
ALTER TABLE gift_aid_claim_gifts ALTER COLUMN declaration_id DROP NOT NULL;
ALTER TABLE donations
    DROP CONSTRAINT donations_method_check,
    ADD CONSTRAINT donations_method_check CHECK (method IN ('card', 'bacs_debit', 'stripe', 'cheque', 'bank_transfer', 'cash', 'contactless')),
    ADD COLUMN small_donation boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT donations_small_donation CHECK (NOT small_donation OR (channel = 'offline' AND method IN ('cash', 'contactless')
        AND donor_id IS NULL AND gift_aid_declaration_id IS NULL)),
    DROP CONSTRAINT donations_gift_aid_claimed,
    ADD CONSTRAINT donations_gift_aid_claimed CHECK (CASE WHEN small_donation THEN gift_aid_claimed_declaration_id IS NULL
        ELSE (gift_aid_claim_id IS NULL) = (gift_aid_claimed_declaration_id IS NULL) END);
CREATE INDEX donations_small_unclaimed ON donations (paid_at) WHERE small_donation AND gift_aid_claim_id IS NULL;

ALTER TABLE gift_aid_claims
    ADD COLUMN small_donations_pence bigint NOT NULL DEFAULT 0 CHECK (small_donations_pence >= 0),
    ADD COLUMN small_donations_top_up_pence bigint NOT NULL DEFAULT 0 CHECK (small_donations_top_up_pence >= 0);

-- +goose Down
ALTER TABLE gift_aid_claims DROP COLUMN small_donations_top_up_pence, DROP COLUMN small_donations_pence;
ALTER TABLE gift_aid_claim_gifts ALTER COLUMN declaration_id SET NOT NULL;
DROP INDEX donations_small_unclaimed;
ALTER TABLE donations
    DROP CONSTRAINT donations_gift_aid_claimed,
    ADD CONSTRAINT donations_gift_aid_claimed CHECK ((gift_aid_claim_id IS NULL) = (gift_aid_claimed_declaration_id IS NULL)),
    DROP CONSTRAINT donations_small_donation, DROP COLUMN small_donation,
    DROP CONSTRAINT donations_method_check,
    ADD CONSTRAINT donations_method_check CHECK (method IN ('card', 'bacs_debit', 'stripe', 'cheque', 'bank_transfer', 'cash'));
