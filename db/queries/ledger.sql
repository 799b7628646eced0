-- The append-only ledger (ledger_entries): written only by inserts that
-- name the money movement, so a second announcement of it writes nothing.

-- name: LedgerInsert :execrows
-- One entry against a gift, in the gift's campaign; 0 rows when the
-- movement is in the ledger already.
INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, gift_aid_claim_id, occurred_at, source, movement_key)
SELECT @kind::text, @amount_pence::bigint, d.id, d.campaign_id, sqlc.narg(gift_aid_claim_id)::uuid, @occurred_at::timestamptz,
    @source::text, @movement_key::text
FROM donations d WHERE d.id = @donation_id::uuid
ON CONFLICT (movement_key) DO NOTHING;

-- name: LedgerInsertClaim :execrows
-- A Gift Aid claim's entries, one per gift (claimed or adjusted), all
-- dated when the claim was filed.
INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, gift_aid_claim_id, occurred_at, source, movement_key)
SELECT v.kind, v.amount_pence, d.id, d.campaign_id, @claim_id::uuid, @occurred_at::timestamptz, @source::text,
    replace(v.kind, '_', '-') || ':' || @claim_id::uuid || ':' || d.id
FROM (SELECT unnest(@donation_ids::uuid[]) AS donation_id, unnest(@kinds::text[]) AS kind, unnest(@amounts::bigint[]) AS amount_pence) v
JOIN donations d ON d.id = v.donation_id
ON CONFLICT (movement_key) DO NOTHING;

-- name: LedgerReverseClaim :execrows
-- A filed claim rejected or withdrawn: each of its entries is matched by
-- one of the opposite sign, dated when that happened.
INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, gift_aid_claim_id, occurred_at, source, movement_key)
SELECT e.kind, -e.amount_pence, e.donation_id, e.campaign_id, e.gift_aid_claim_id, @occurred_at::timestamptz, @source::text,
    e.movement_key || ':reversed'
FROM ledger_entries e
WHERE e.gift_aid_claim_id = @claim_id::uuid AND e.movement_key NOT LIKE '%:reversed'
ON CONFLICT (movement_key) DO NOTHING;

-- name: LedgerMonthEnd :many
-- Totals by campaign of the entries dated from..to (a UK month): summed
-- per campaign first, then named.
SELECT c.slug AS campaign, t.gross_pence, t.gift_count, t.refunds_pence, t.disputes_pence, t.fees_pence, t.gift_aid_pence
FROM (
    SELECT e.campaign_id,
        COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'gift'), 0)::bigint AS gross_pence,
        count(*) FILTER (WHERE e.kind = 'gift')::bigint AS gift_count,
        COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('refund', 'refund_reversed')), 0)::bigint AS refunds_pence,
        COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('dispute', 'dispute_reversal')), 0)::bigint AS disputes_pence,
        COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('fee', 'dispute_fee')), 0)::bigint AS fees_pence,
        COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('gift_aid_claimed', 'gift_aid_adjusted')), 0)::bigint AS gift_aid_pence
    FROM ledger_entries e
    WHERE e.occurred_at >= @from_time AND e.occurred_at < @to_time
    GROUP BY e.campaign_id
) t JOIN campaigns c ON c.id = t.campaign_id
ORDER BY c.slug;

-- name: LedgerList :many
-- Entries dated from..to, oldest first; the cursor is the last
-- (occurred_at, id) of the previous page.
SELECT e.id, e.kind, e.amount_pence, e.donation_id, e.gift_aid_claim_id, e.occurred_at, e.source, e.movement_key, e.created_at,
    c.slug AS campaign, c.name AS campaign_name, d.channel, d.method, d.stripe_charge_id, d.stripe_payment_intent_id, d.reference
FROM ledger_entries e JOIN campaigns c ON c.id = e.campaign_id JOIN donations d ON d.id = e.donation_id
WHERE e.occurred_at >= @from_time AND e.occurred_at < @to_time
  AND (sqlc.narg(campaign)::text IS NULL OR c.slug = sqlc.narg(campaign))
  AND (sqlc.narg(kind)::text IS NULL OR e.kind = sqlc.narg(kind))
  AND (sqlc.narg(donation_id)::uuid IS NULL OR e.donation_id = sqlc.narg(donation_id))
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (e.occurred_at, e.id) > (sqlc.narg(after_time), sqlc.narg(after_id)::bigint))
ORDER BY e.occurred_at, e.id
LIMIT @page_size;

-- name: LedgerByStripeCharge :many
-- What the ledger holds of the online gifts paid from..to and of every
-- movement dated then, per gift: for reconciliation with Stripe's
-- balance transactions.
SELECT d.id, d.stripe_charge_id, d.stripe_payment_intent_id, d.paid_at,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'gift'), 0)::bigint AS gross_pence,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'fee'), 0)::bigint AS fee_pence,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('refund', 'refund_reversed')), 0)::bigint AS refunds_pence,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('dispute', 'dispute_reversal')), 0)::bigint AS disputes_pence,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'dispute_fee'), 0)::bigint AS dispute_fees_pence
FROM ledger_entries e JOIN donations d ON d.id = e.donation_id
WHERE d.channel = 'online' AND e.occurred_at >= @from_time AND e.occurred_at < @to_time
  AND e.kind NOT IN ('gift_aid_claimed', 'gift_aid_adjusted')
GROUP BY d.id
ORDER BY d.paid_at, d.id;

-- name: LedgerTotalsByCampaign :many
-- Each active campaign (and any other with entries) with what its gifts
-- came to from..to: gifts less refunds and disputes (net of their
-- reversals), each counted when the money moved.
SELECT c.slug, c.name,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind IN ('gift', 'refund', 'refund_reversed', 'dispute', 'dispute_reversal')), 0)::bigint AS total_pence,
    count(e.id) FILTER (WHERE e.kind = 'gift')::bigint AS gift_count
FROM campaigns c
LEFT JOIN ledger_entries e ON e.campaign_id = c.id AND e.occurred_at >= @from_time AND e.occurred_at < @to_time
GROUP BY c.id
HAVING c.active OR count(e.id) > 0
ORDER BY c.position, c.slug;

-- name: LedgerTotalsByMonth :many
-- Entries from..to by UK month: gifts, and refunds, disputes and fees as
-- positive amounts (each net of its reversals).
SELECT to_char(date_trunc('month', e.occurred_at AT TIME ZONE 'Europe/London'), 'YYYY-MM')::text AS month,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'gift'), 0)::bigint AS gross_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('refund', 'refund_reversed')), 0)::bigint AS refunded_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('dispute', 'dispute_reversal')), 0)::bigint AS disputed_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('fee', 'dispute_fee')), 0)::bigint AS fee_pence,
    count(*) FILTER (WHERE e.kind = 'gift')::bigint AS gift_count
FROM ledger_entries e
WHERE e.occurred_at >= @from_time AND e.occurred_at < @to_time AND e.kind NOT IN ('gift_aid_claimed', 'gift_aid_adjusted')
GROUP BY 1 ORDER BY 1;

-- name: LedgerTotalsByChannel :many
-- Entries from..to by the channel and frequency of their gift, as
-- LedgerTotalsByMonth.
SELECT d.channel, d.frequency,
    COALESCE(sum(e.amount_pence) FILTER (WHERE e.kind = 'gift'), 0)::bigint AS gross_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('refund', 'refund_reversed')), 0)::bigint AS refunded_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('dispute', 'dispute_reversal')), 0)::bigint AS disputed_pence,
    COALESCE(-sum(e.amount_pence) FILTER (WHERE e.kind IN ('fee', 'dispute_fee')), 0)::bigint AS fee_pence,
    count(*) FILTER (WHERE e.kind = 'gift')::bigint AS gift_count
FROM ledger_entries e JOIN donations d ON d.id = e.donation_id
WHERE e.occurred_at >= @from_time AND e.occurred_at < @to_time AND e.kind NOT IN ('gift_aid_claimed', 'gift_aid_adjusted')
GROUP BY d.channel, d.frequency ORDER BY d.channel, d.frequency;
