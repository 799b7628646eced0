-- Campaigns ---------------------------------------------------------------

-- name: CampaignList :many
-- Every campaign with its running total: what was given, less refunds,
-- excluding disputed payments.
SELECT c.*, COALESCE(t.total_pence, 0)::bigint AS total_pence, COALESCE(t.gift_count, 0)::bigint AS gift_count
FROM campaigns c
LEFT JOIN (
    SELECT campaign_id, sum(amount_pence - refunded_pence) AS total_pence, count(*) AS gift_count
    FROM donations WHERE status <> 'disputed' GROUP BY campaign_id
) t ON t.campaign_id = c.id
WHERE (NOT @active_only::boolean OR c.active)
ORDER BY c.position, c.slug;

-- name: CampaignGetBySlug :one
SELECT * FROM campaigns WHERE slug = @slug;

-- name: CampaignInsert :one
INSERT INTO campaigns (slug, name, description, target_pence, active, position)
VALUES (@slug, @name, @description, sqlc.narg(target_pence), @active, @position)
RETURNING *;

-- name: CampaignUpdate :one
UPDATE campaigns SET
    name = COALESCE(sqlc.narg(name), name),
    description = COALESCE(sqlc.narg(description), description),
    target_pence = CASE WHEN @clear_target::boolean THEN NULL ELSE COALESCE(sqlc.narg(target_pence), target_pence) END,
    active = COALESCE(sqlc.narg(active), active),
    position = COALESCE(sqlc.narg(position), position),
    updated_at = now()
WHERE slug = @slug
RETURNING *;

-- Donors ------------------------------------------------------------------

-- name: DonorGet :one
SELECT * FROM donors WHERE id = @id;

-- name: DonorGetByStripeCustomer :one
-- The donor a Stripe customer's payments belong to: the record made for
-- the customer, or the one a treasurer merged it into. holder_id is the
-- record holding the customer, which a management link names.
SELECT d.*, h.id AS holder_id
FROM donor_stripe_customers c JOIN donors h ON h.id = c.donor_id JOIN donors d ON d.id = COALESCE(h.merged_into, h.id)
WHERE c.stripe_customer_id = @stripe_customer_id;

-- name: DonorCustomerAdd :exec
-- Records that a donor record holds a Stripe customer; a customer already
-- held stays where it is.
INSERT INTO donor_stripe_customers (stripe_customer_id, donor_id) VALUES (@stripe_customer_id, @donor_id)
ON CONFLICT (stripe_customer_id) DO NOTHING;

-- name: DonorCustomerList :many
-- The Stripe customers a donor record holds, oldest first.
SELECT stripe_customer_id FROM donor_stripe_customers WHERE donor_id = @donor_id ORDER BY created_at, stripe_customer_id;

-- name: DonorCustomerHeldBy :one
SELECT EXISTS (SELECT 1 FROM donor_stripe_customers WHERE stripe_customer_id = @stripe_customer_id AND donor_id = @donor_id);

-- name: DonorCustomerForMember :one
-- The Stripe customer to reuse for a member's next checkout: the newest
-- one held by a donor record linked to the member.
SELECT c.stripe_customer_id FROM donor_stripe_customers c JOIN donors d ON d.id = c.donor_id
WHERE d.member_id = @member_id AND d.merged_into IS NULL
ORDER BY c.created_at DESC, c.stripe_customer_id DESC
LIMIT 1;

-- name: DonorForMember :one
-- The donor record a member's payments go to when their customer is new
-- to HPA: the first linked to the member.
SELECT id FROM donors WHERE member_id = @member_id AND merged_into IS NULL ORDER BY created_at, id LIMIT 1;

-- name: DonorInsertForCustomer :one
-- Creates the donor for a Stripe customer or, when a concurrent event
-- created it first, returns that one as it is: a payer's details never
-- rename a donor.
INSERT INTO donors (id, email_sealed, email_hash, name, stripe_customer_id)
VALUES (@id, sqlc.narg(email_sealed), sqlc.narg(email_hash), @name, @stripe_customer_id)
ON CONFLICT (stripe_customer_id) DO UPDATE SET stripe_customer_id = donors.stripe_customer_id
RETURNING COALESCE(merged_into, id)::uuid AS donor_id, id AS holder_id;

-- name: DonorInsert :one
-- The address is sealed and bound to the ID (internal/sealed), so the ID
-- is chosen before the insert.
INSERT INTO donors (id, email_sealed, email_hash, name)
VALUES (@id, sqlc.narg(email_sealed), sqlc.narg(email_hash), @name)
RETURNING *;

-- name: DonorList :many
-- Newest first; the cursor is the last (created_at, id) of the previous page.
SELECT d.*,
    (SELECT count(*) FROM donations g WHERE g.donor_id = d.id)::bigint AS gift_count,
    (SELECT COALESCE(sum(g.amount_pence - g.refunded_pence), 0) FROM donations g WHERE g.donor_id = d.id AND g.status <> 'disputed')::bigint AS total_pence,
    EXISTS (SELECT 1 FROM donation_subscriptions s WHERE s.donor_id = d.id AND s.status IN ('active', 'trialing', 'past_due')) AS monthly
FROM donors d
WHERE d.merged_into IS NULL
  AND (sqlc.narg(email_hash)::bytea IS NULL OR d.email_hash = sqlc.narg(email_hash))
  AND (sqlc.narg(before_created)::timestamptz IS NULL OR (d.created_at, d.id) < (sqlc.narg(before_created), sqlc.narg(before_id)::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT @page_size;

-- name: DonorLockPair :many
-- Locks two donors in ID order, so two merges never deadlock.
SELECT * FROM donors WHERE id = ANY(@ids::uuid[]) ORDER BY id FOR UPDATE;

-- name: DonorMarkMerged :exec
-- The merged record keeps its Stripe customer and names the survivor;
-- nothing personal stays in it. Records merged into it before now name
-- the survivor too, so a customer is never more than one step away.
UPDATE donors SET merged_into = @into_donor, name = '', email_sealed = NULL, email_hash = NULL, member_id = NULL, updated_at = now()
WHERE id = @id OR merged_into = @id;

-- name: DonorFillIn :exec
-- What the surviving record lacks it takes from the one merged into it.
UPDATE donors SET
    name = CASE WHEN name = '' THEN @name ELSE name END,
    email_sealed = COALESCE(email_sealed, sqlc.narg(email_sealed)),
    email_hash = COALESCE(email_hash, sqlc.narg(email_hash)),
    member_id = COALESCE(member_id, sqlc.narg(member_id)),
    updated_at = now()
WHERE id = @id;

-- name: DonationMoveDonor :execrows
UPDATE donations SET donor_id = @to_donor, updated_at = now() WHERE donor_id = @from_donor;

-- name: SubscriptionMoveDonor :execrows
UPDATE donation_subscriptions SET donor_id = @to_donor, updated_at = now() WHERE donor_id = @from_donor;

-- Checkouts ---------------------------------------------------------------

-- name: CheckoutInsert :one
INSERT INTO donation_checkouts (id, frequency, amount_pence, campaign_id, member_id, gift_aid_key_id, gift_aid_sealed)
VALUES (@id, @frequency, @amount_pence, @campaign_id, sqlc.narg(member_id), sqlc.narg(gift_aid_key_id), sqlc.narg(gift_aid_sealed))
RETURNING *;

-- name: CheckoutSetSession :exec
UPDATE donation_checkouts SET stripe_session_id = @stripe_session_id WHERE id = @id;

-- name: CheckoutGetForUpdate :one
SELECT * FROM donation_checkouts WHERE id = @id FOR UPDATE;

-- name: CheckoutFinish :exec
-- Completes or fails a checkout; the sealed Gift Aid details go either way
-- (a completed one has become a declaration).
UPDATE donation_checkouts SET status = @status, completed_at = now(), gift_aid_key_id = NULL, gift_aid_sealed = NULL
WHERE id = @id;

-- name: CheckoutExpireOpen :execrows
UPDATE donation_checkouts SET status = 'expired', gift_aid_key_id = NULL, gift_aid_sealed = NULL
WHERE status = 'open' AND created_at < @before;

-- Subscriptions -----------------------------------------------------------

-- name: SubscriptionUpsert :one
-- Applies a subscription's state unless a newer event already did.
INSERT INTO donation_subscriptions (stripe_subscription_id, donor_id, checkout_id, campaign_id, amount_pence, status,
    cancel_at_period_end, current_period_end, canceled_at, last_event_at)
VALUES (@stripe_subscription_id, sqlc.narg(donor_id), sqlc.narg(checkout_id), @campaign_id, @amount_pence, @status,
    @cancel_at_period_end, sqlc.narg(current_period_end), sqlc.narg(canceled_at), @last_event_at)
ON CONFLICT (stripe_subscription_id) DO UPDATE SET
    donor_id = COALESCE(donation_subscriptions.donor_id, excluded.donor_id),
    checkout_id = COALESCE(donation_subscriptions.checkout_id, excluded.checkout_id),
    amount_pence = CASE WHEN donation_subscriptions.last_event_at <= excluded.last_event_at THEN excluded.amount_pence ELSE donation_subscriptions.amount_pence END,
    status = CASE WHEN donation_subscriptions.last_event_at <= excluded.last_event_at THEN excluded.status ELSE donation_subscriptions.status END,
    cancel_at_period_end = CASE WHEN donation_subscriptions.last_event_at <= excluded.last_event_at THEN excluded.cancel_at_period_end ELSE donation_subscriptions.cancel_at_period_end END,
    current_period_end = CASE WHEN donation_subscriptions.last_event_at <= excluded.last_event_at THEN excluded.current_period_end ELSE donation_subscriptions.current_period_end END,
    canceled_at = CASE WHEN donation_subscriptions.last_event_at <= excluded.last_event_at THEN excluded.canceled_at ELSE donation_subscriptions.canceled_at END,
    last_event_at = GREATEST(donation_subscriptions.last_event_at, excluded.last_event_at),
    updated_at = now()
RETURNING *;

-- name: SubscriptionGetByStripeID :one
SELECT * FROM donation_subscriptions WHERE stripe_subscription_id = @stripe_subscription_id;

-- name: SubscriptionListByDonor :many
SELECT s.*, c.slug AS campaign_slug FROM donation_subscriptions s JOIN campaigns c ON c.id = s.campaign_id
WHERE s.donor_id = @donor_id ORDER BY s.created_at DESC;

-- Donations ---------------------------------------------------------------

-- name: DonationInsertStripe :one
-- Records a Stripe payment once: a second event for the same payment
-- intent, invoice or charge inserts nothing. (Tests use it to put a gift
-- in place; the webhook records payments with DonationRecordStripe.)
INSERT INTO donations (donor_id, campaign_id, amount_pence, fee_pence, channel, method, frequency,
    stripe_payment_intent_id, stripe_invoice_id, stripe_charge_id, stripe_session_id, subscription_id, checkout_id,
    gift_aid_declaration_id, paid_at)
VALUES (@donor_id, @campaign_id, @amount_pence, sqlc.narg(fee_pence), 'online', @method, @frequency,
    sqlc.narg(stripe_payment_intent_id), sqlc.narg(stripe_invoice_id), sqlc.narg(stripe_charge_id), sqlc.narg(stripe_session_id),
    sqlc.narg(subscription_id), sqlc.narg(checkout_id), sqlc.narg(gift_aid_declaration_id), @paid_at)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: DonationRecordStripe :one
-- Records a Stripe payment once, in one round trip: the gift (in the
-- checkout's campaign, else the named one, else "general"), its entry in
-- the ledger, and back what its receipt needs and whether events are
-- waiting for it. A second event for the same payment intent, invoice or
-- charge inserts nothing and returns no row.
WITH gift AS (
    INSERT INTO donations (donor_id, campaign_id, amount_pence, channel, method, frequency,
        stripe_payment_intent_id, stripe_invoice_id, stripe_charge_id, stripe_session_id, subscription_id, checkout_id,
        gift_aid_declaration_id, paid_at)
    VALUES (sqlc.narg(donor_id)::uuid,
        COALESCE(sqlc.narg(campaign_id)::uuid, (SELECT c.id FROM campaigns c WHERE c.slug = @campaign_slug::text),
            (SELECT c.id FROM campaigns c WHERE c.slug = 'general')),
        @amount_pence, 'online', 'stripe', @frequency,
        sqlc.narg(stripe_payment_intent_id), sqlc.narg(stripe_invoice_id), sqlc.narg(stripe_charge_id), sqlc.narg(stripe_session_id),
        sqlc.narg(subscription_id), sqlc.narg(checkout_id), sqlc.narg(gift_aid_declaration_id), @paid_at)
    ON CONFLICT DO NOTHING
    RETURNING *
), entry AS (
    INSERT INTO ledger_entries (kind, amount_pence, donation_id, campaign_id, occurred_at, source, movement_key)
    SELECT 'gift', gift.amount_pence, gift.id, gift.campaign_id, gift.paid_at, @source::text, 'gift:' || gift.id
    FROM gift
    ON CONFLICT (movement_key) DO NOTHING
)
SELECT gift.id, gift.donor_id, gift.amount_pence, gift.frequency, gift.paid_at,
    c.name AS campaign_name, o.email_sealed AS donor_email_sealed, o.name AS donor_name,
    EXISTS (SELECT 1 FROM stripe_events e WHERE e.status = 'deferred' AND e.awaiting = ANY(@payment_keys::text[])) AS awaited
FROM gift JOIN campaigns c ON c.id = gift.campaign_id LEFT JOIN donors o ON o.id = gift.donor_id;

-- name: DonationInsertOffline :one
INSERT INTO donations (donor_id, campaign_id, amount_pence, channel, method, frequency, gift_aid_declaration_id, small_donation, reference, paid_at, recorded_by)
VALUES (sqlc.narg(donor_id), @campaign_id, @amount_pence, 'offline', @method, 'one_off', sqlc.narg(gift_aid_declaration_id), @small_donation, @reference, @paid_at, sqlc.narg(recorded_by))
RETURNING *;

-- name: DonationGet :one
SELECT d.*, c.slug AS campaign_slug, c.name AS campaign_name, o.email_sealed AS donor_email_sealed, o.name AS donor_name
FROM donations d JOIN campaigns c ON c.id = d.campaign_id LEFT JOIN donors o ON o.id = d.donor_id
WHERE d.id = @id;

-- name: DonationGetForUpdate :one
SELECT * FROM donations WHERE id = @id FOR UPDATE;

-- name: DonationFindByStripe :one
-- The donation a charge, payment intent or invoice belongs to, locked.
SELECT * FROM donations
WHERE (sqlc.narg(payment_intent_id)::text IS NOT NULL AND stripe_payment_intent_id = sqlc.narg(payment_intent_id))
   OR (sqlc.narg(charge_id)::text IS NOT NULL AND stripe_charge_id = sqlc.narg(charge_id))
   OR (sqlc.narg(invoice_id)::text IS NOT NULL AND stripe_invoice_id = sqlc.narg(invoice_id))
LIMIT 1
FOR UPDATE;

-- name: DonationSetStripeRefunded :one
-- Stripe's cumulative refunded amount; refunds only grow, so an older
-- event never lowers it.
UPDATE donations SET
    refunded_pence = GREATEST(refunded_pence, LEAST(@refunded_pence::bigint, amount_pence)),
    stripe_charge_id = COALESCE(stripe_charge_id, sqlc.narg(charge_id)),
    status = CASE
        WHEN status = 'disputed' THEN 'disputed'
        WHEN GREATEST(refunded_pence, LEAST(@refunded_pence::bigint, amount_pence)) = amount_pence THEN 'refunded'
        WHEN GREATEST(refunded_pence, LEAST(@refunded_pence::bigint, amount_pence)) > 0 THEN 'partially_refunded'
        ELSE status END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DonationAddRefund :one
-- A refund staff asked for; refuses to refund more than was given.
UPDATE donations SET
    refunded_pence = refunded_pence + @amount_pence::bigint,
    status = CASE
        WHEN status = 'disputed' THEN 'disputed'
        WHEN refunded_pence + @amount_pence::bigint = amount_pence THEN 'refunded'
        ELSE 'partially_refunded' END,
    updated_at = now()
WHERE id = @id AND refunded_pence + @amount_pence::bigint <= amount_pence
RETURNING *;

-- name: DonationApplyDispute :execrows
-- Applies a dispute event: Stripe's status of the dispute and the fees
-- it cost so far. An open or lost dispute keeps the gift out of totals
-- and Gift Aid; one won (or an inquiry closed) puts it back. An event
-- older than the last applied changes nothing.
UPDATE donations SET
    dispute_status = @dispute_status,
    dispute_fee_pence = @dispute_fee_pence,
    dispute_event_at = @event_at,
    status = CASE
        WHEN @dispute_status::text NOT IN ('won', 'warning_closed') THEN 'disputed'
        WHEN refunded_pence = amount_pence THEN 'refunded'
        WHEN refunded_pence > 0 THEN 'partially_refunded'
        ELSE 'paid' END,
    updated_at = now()
WHERE id = @id AND (dispute_event_at IS NULL OR dispute_event_at <= @event_at);

-- name: RefundMarkFailed :one
-- A refund Stripe could not make (failed) or that was cancelled: it no
-- longer counts. Returns the row only when it counted until now.
UPDATE donation_refunds SET status = @status WHERE stripe_refund_id = @stripe_refund_id AND status = 'succeeded'
RETURNING *;

-- name: RefundInsertFailed :execrows
-- A refund made outside HPA (Stripe's dashboard) that failed: recorded so
-- that its failure is applied once (0 rows: it already was).
INSERT INTO donation_refunds (donation_id, stripe_refund_id, amount_pence, reason, note, status)
VALUES (@donation_id, @stripe_refund_id, @amount_pence, 'other', 'made in Stripe', @status)
ON CONFLICT (stripe_refund_id) DO NOTHING;

-- name: DonationRefundReversed :one
-- Takes a failed refund's amount off the gift's refunded total.
UPDATE donations SET
    refunded_pence = GREATEST(refunded_pence - @amount_pence::bigint, 0),
    status = CASE
        WHEN status = 'disputed' THEN 'disputed'
        WHEN GREATEST(refunded_pence - @amount_pence::bigint, 0) = 0 THEN 'paid'
        ELSE 'partially_refunded' END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DonationList :many
-- Newest first; the cursor is the last (paid_at, id) of the previous page.
SELECT d.*, c.slug AS campaign_slug, c.name AS campaign_name, o.email_sealed AS donor_email_sealed, o.name AS donor_name
FROM donations d JOIN campaigns c ON c.id = d.campaign_id LEFT JOIN donors o ON o.id = d.donor_id
WHERE d.paid_at >= @from_time AND d.paid_at < @to_time
  AND (sqlc.narg(campaign)::text IS NULL OR c.slug = sqlc.narg(campaign))
  AND (sqlc.narg(channel)::text IS NULL OR d.channel = sqlc.narg(channel))
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status))
  AND (sqlc.narg(frequency)::text IS NULL OR d.frequency = sqlc.narg(frequency))
  AND (sqlc.narg(donor_id)::uuid IS NULL OR d.donor_id = sqlc.narg(donor_id))
  AND (sqlc.narg(before_paid)::timestamptz IS NULL OR (d.paid_at, d.id) < (sqlc.narg(before_paid), sqlc.narg(before_id)::uuid))
ORDER BY d.paid_at DESC, d.id DESC
LIMIT @page_size;

-- Refunds -----------------------------------------------------------------

-- name: RefundInsert :one
INSERT INTO donation_refunds (donation_id, stripe_refund_id, amount_pence, reason, note, created_by)
VALUES (@donation_id, sqlc.narg(stripe_refund_id), @amount_pence, @reason, @note, sqlc.narg(created_by))
RETURNING *;

-- name: RefundListByDonation :many
SELECT * FROM donation_refunds WHERE donation_id = @donation_id ORDER BY created_at;

-- Stripe events -----------------------------------------------------------

-- name: StripeEventSeen :one
SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = @id AND status <> 'deferred');

-- name: StripeEventInsert :one
-- Stores an event once; a redelivered event inserts nothing.
INSERT INTO stripe_events (id, type, created, status, awaiting, payload)
VALUES (@id, @type, @created, @status, sqlc.narg(awaiting), sqlc.narg(payload))
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: StripeEventListAwaiting :many
SELECT * FROM stripe_events WHERE status = 'deferred' AND awaiting = ANY(@keys::text[]) ORDER BY created FOR UPDATE;

-- name: StripeEventMarkProcessed :exec
UPDATE stripe_events SET status = 'processed', awaiting = NULL, payload = NULL WHERE id = @id;

-- name: StripeEventPurge :execrows
DELETE FROM stripe_events WHERE status <> 'deferred' AND received_at < @before;

-- Reconciliation ----------------------------------------------------------

-- name: ReconciliationInsert :one
INSERT INTO reconciliation_reports (period_start, period_end, trigger, stripe_count, stripe_total_pence, ledger_count, ledger_total_pence, differences, difference_count,
    balance_count, balance_net_pence, ledger_net_pence, payout_count, payout_total_pence)
VALUES (@period_start, @period_end, @trigger, @stripe_count, @stripe_total_pence, @ledger_count, @ledger_total_pence, @differences, @difference_count,
    @balance_count, @balance_net_pence, @ledger_net_pence, @payout_count, @payout_total_pence)
RETURNING *;

-- name: ReconciliationGet :one
SELECT * FROM reconciliation_reports WHERE id = @id;

-- name: ReconciliationList :many
SELECT * FROM reconciliation_reports
WHERE (sqlc.narg(before_created)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(before_created), sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: StripeEventDefer :exec
UPDATE stripe_events SET status = 'deferred', awaiting = @awaiting, payload = @payload WHERE id = @id;

-- name: CheckoutGet :one
SELECT * FROM donation_checkouts WHERE id = @id;

-- name: DonorUpsertMember :execrows
UPDATE donors SET member_id = COALESCE(member_id, sqlc.narg(member_id)), updated_at = now() WHERE id = @id;

-- name: DonorIDsByMember :many
-- The donor records linked to a member that a statement can be sent to.
SELECT id FROM donors WHERE member_id = @member_id AND email_sealed IS NOT NULL ORDER BY created_at, id;

-- name: DonationSetPaymentDetails :exec
-- Fills in what Stripe told us after the event: charge, fee, method.
UPDATE donations SET
    stripe_charge_id = COALESCE(stripe_charge_id, sqlc.narg(charge_id)),
    fee_pence = COALESCE(sqlc.narg(fee_pence), fee_pence),
    method = CASE WHEN method = 'stripe' THEN @method ELSE method END,
    updated_at = now()
WHERE id = @id;

-- name: DonationListByMember :many
-- A member's own gifts, through the donor records linked to them.
SELECT d.*, c.slug AS campaign_slug, c.name AS campaign_name, o.email_sealed AS donor_email_sealed, o.name AS donor_name
FROM donations d JOIN campaigns c ON c.id = d.campaign_id LEFT JOIN donors o ON o.id = d.donor_id
WHERE o.member_id = @member_id
ORDER BY d.paid_at DESC, d.id DESC
LIMIT 500;

-- name: SubscriptionListByMember :many
SELECT s.*, c.slug AS campaign_slug FROM donation_subscriptions s
JOIN campaigns c ON c.id = s.campaign_id JOIN donors o ON o.id = s.donor_id
WHERE o.member_id = @member_id ORDER BY s.created_at DESC;

-- name: DonorErase :execrows
-- Erasure: the donor records of a member, or holding their address, lose
-- the name and address and the member link. Gifts stay (the accounts and
-- any Gift Aid claim need them), and so does the Stripe customer, which
-- refunds and reconciliation need.
UPDATE donors SET email_sealed = NULL, email_hash = NULL, name = '', member_id = NULL, updated_at = now()
WHERE member_id = sqlc.narg(member_id) OR email_hash = sqlc.narg(email_hash);

-- name: CheckoutErase :execrows
-- Erasure: a member's checkouts forget them, and an unfinished one drops
-- the Gift Aid details it held for a declaration not yet made.
UPDATE donation_checkouts SET member_id = NULL, gift_aid_sealed = NULL, gift_aid_key_id = NULL
WHERE member_id = @member_id;

-- name: DonationGiftAidClaimSet :many
-- Marks gifts as claimed by a Gift Aid claim (internal/giftaid asks), with
-- the declaration that covered each (uuid.Nil for a small donation) and the
-- amount claimed on. A gift another claim took meanwhile is not taken
-- again: the caller compares what comes back with what it asked for.
UPDATE donations d SET gift_aid_claim_id = @claim_id::uuid,
    gift_aid_claimed_declaration_id = NULLIF(v.declaration_id, '00000000-0000-0000-0000-000000000000'::uuid),
    gift_aid_claimed_pence = v.claimed_pence, updated_at = now()
FROM (SELECT unnest(@donation_ids::uuid[]) AS donation_id, unnest(@declaration_ids::uuid[]) AS declaration_id,
             unnest(@claimed_pence::bigint[]) AS claimed_pence) v
WHERE d.id = v.donation_id AND d.gift_aid_claim_id IS NULL
RETURNING d.id, d.gift_aid_claimed_declaration_id, d.gift_aid_claimed_pence;

-- name: DonationGiftAidClaimClear :execrows
-- Lets gifts a rejected or void Gift Aid claim had go (internal/giftaid
-- asks), so they may be claimed again.
UPDATE donations SET gift_aid_claim_id = NULL, gift_aid_claimed_declaration_id = NULL, gift_aid_claimed_pence = NULL, updated_at = now()
WHERE id = ANY (@donation_ids::uuid[]) AND gift_aid_claim_id = @claim_id::uuid;

-- name: StripeUnreadableEventRecord :one
-- Records a refused delivery of an event HPA cannot read; first is true
-- for its first delivery only, which alerts staff.
INSERT INTO stripe_unreadable_events (id, type, api_version)
VALUES (@id, @type, @api_version)
ON CONFLICT (id) DO UPDATE SET attempts = stripe_unreadable_events.attempts + 1, last_seen_at = now()
RETURNING (xmax = 0) AS first;

-- name: DonorsSealedEmails :many
-- Donors whose address can still be opened, in ID order after @after, for
-- re-keying their hashes (hpa keys rehash).
SELECT id, email_sealed, email_hash FROM donors
WHERE email_sealed IS NOT NULL AND id > @after ORDER BY id LIMIT @batch;

-- name: DonorSetEmailHash :exec
UPDATE donors SET email_hash = @email_hash WHERE id = @id;
