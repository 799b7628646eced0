-- The append-only ledger: one entry per movement of money, dated when it
-- happened, so a closed month's totals never change afterwards. A refund
-- or dispute in December is a December entry against a November gift;
-- the gift's row (donations) keeps its current state for the screens.
-- Amounts are signed pence, as seen from HPA's account: a gift is
-- positive, a refund, a dispute's withdrawal and a fee are negative.
-- movement_key names the money movement (a Stripe balance transaction, a
-- refund, a gift), whichever event or action announces it, so a retried
-- or duplicated webhook can never write a second entry. source says what
-- wrote it: a Stripe event ID, "staff:<id>", "system" or "backfill".
-- Entries are never updated or deleted: a correction is a new entry.

-- +goose Up
CREATE TABLE ledger_entries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('gift', 'refund', 'refund_reversed', 'dispute', 'dispute_reversal', 'fee',
                                                   'dispute_fee', 'gift_aid_claimed', 'gift_aid_adjusted')),
    amount_pence      bigint NOT NULL,
    donation_id       uuid NOT NULL REFERENCES donations (id),
    campaign_id       uuid NOT NULL REFERENCES campaigns (id),
    gift_aid_claim_id uuid REFERENCES gift_aid_claims (id),
    occurred_at       timestamptz NOT NULL,
    source            text NOT NULL CHECK (length(source) BETWEEN 1 AND 300),
    movement_key      text NOT NULL UNIQUE CHECK (length(movement_key) BETWEEN 1 AND 300),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_occurred ON ledger_entries (occurred_at, id);
CREATE INDEX ledger_entries_donation ON ledger_entries (donation_id);
CREATE INDEX ledger_entries_claim ON ledger_entries (gift_aid_claim_id) WHERE gift_aid_claim_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only: % refused', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Backfill from the rows as they stand: each gift, its fee, its refunds
-- (a refund Stripe reported only as a cumulative figure is one entry at
-- the gift's last change), the funds a dispute still holds and its fee,
-- and Gift Aid on claims filed with HMRC and not rejected or voided.
INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT 'gift', amount_pence, id, campaign_id, paid_at, 'backfill', 'gift:' || id FROM donations;

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT 'fee', -fee_pence, id, campaign_id, paid_at, 'backfill', 'fee:' || id FROM donations WHERE fee_pence > 0;

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT 'refund', -r.amount_pence, d.id, d.campaign_id, r.created_at, 'backfill', 'refund:' || r.id
FROM donation_refunds r JOIN donations d ON d.id = r.donation_id WHERE r.status = 'succeeded';

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT CASE WHEN v.rest > 0 THEN 'refund' ELSE 'refund_reversed' END, -v.rest, d.id, d.campaign_id, d.updated_at, 'backfill',
       'refund-backfill:' || d.id
FROM donations d
CROSS JOIN LATERAL (SELECT d.refunded_pence - COALESCE((SELECT sum(r.amount_pence) FROM donation_refunds r
                                                         WHERE r.donation_id = d.id AND r.status = 'succeeded'), 0) AS rest) v
WHERE v.rest <> 0;

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT 'dispute', -(amount_pence - refunded_pence), id, campaign_id, COALESCE(dispute_event_at, updated_at), 'backfill', 'dispute-backfill:' || id
FROM donations WHERE dispute_status IN ('needs_response', 'under_review', 'lost') AND amount_pence > refunded_pence;

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
SELECT 'dispute_fee', -dispute_fee_pence, id, campaign_id, COALESCE(dispute_event_at, updated_at), 'backfill', 'dispute-fee-backfill:' || id
FROM donations WHERE dispute_fee_pence > 0;

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, gift_aid_claim_id, occurred_at, source, movement_key)
SELECT 'gift_aid_claimed', g.claimed_pence * 25 / 100, d.id, d.campaign_id, c.id,
       (c.submitted_on + time '12:00') AT TIME ZONE 'Europe/London', 'backfill', 'gift-aid-claimed:' || c.id || ':' || d.id
FROM gift_aid_claim_gifts g JOIN gift_aid_claims c ON c.id = g.claim_id JOIN donations d ON d.id = g.donation_id
WHERE c.status IN ('submitted', 'accepted');

INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, gift_aid_claim_id, occurred_at, source, movement_key)
SELECT 'gift_aid_adjusted', -a.gift_aid_pence, d.id, d.campaign_id, c.id,
       (c.submitted_on + time '12:00') AT TIME ZONE 'Europe/London', 'backfill', 'gift-aid-adjusted:' || c.id || ':' || d.id
FROM gift_aid_adjustments a JOIN gift_aid_claims c ON c.id = a.claim_id JOIN donations d ON d.id = a.donation_id
WHERE c.status IN ('submitted', 'accepted') AND a.gift_aid_pence > 0;

-- +goose Down
DROP TABLE ledger_entries;
DROP FUNCTION ledger_entries_append_only();
