-- name: DeclarationInsert :one
INSERT INTO gift_aid_declarations (id, donor_id, member_id, key_id, personal_sealed, uk_postcode, scope, method,
    wording_version, wording, declared_on, confirmation_sent_on, recording_reference, recorded_by, retain_until)
VALUES (@id, sqlc.narg(donor_id), sqlc.narg(member_id), @key_id, @personal_sealed, @uk_postcode, @scope, @method,
    @wording_version, @wording, @declared_on, sqlc.narg(confirmation_sent_on), sqlc.narg(recording_reference), sqlc.narg(recorded_by), @retain_until)
RETURNING *;

-- name: DeclarationGet :one
SELECT * FROM gift_aid_declarations WHERE id = @id;

-- name: DeclarationList :many
SELECT * FROM gift_aid_declarations
WHERE (sqlc.narg(donor_id)::uuid IS NULL OR donor_id = sqlc.narg(donor_id))
  AND (sqlc.narg(before_created)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(before_created), sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: DeclarationCancel :one
-- Cancelling stops the declaration covering gifts made from now on; gifts
-- already made stay claimable, unless the donor cancelled an oral
-- declaration within its 30 days (retrospective: it never covered any).
UPDATE gift_aid_declarations SET cancelled_at = @cancelled_at, cancelled_retrospectively = @retrospective
WHERE id = @id AND cancelled_at IS NULL
RETURNING *;

-- name: DeclarationGetForUpdate :one
SELECT * FROM gift_aid_declarations WHERE id = @id FOR UPDATE;

-- name: DeclarationGiftCount :one
-- How many gifts name a declaration as theirs.
SELECT count(*) FROM donations WHERE gift_aid_declaration_id = @declaration_id;

-- name: DeclarationSetWrittenRecord :one
-- Records when the written record of an oral declaration was sent.
UPDATE gift_aid_declarations SET confirmation_sent_on = @sent_on
WHERE id = @id AND method = 'oral' AND recording_reference IS NULL AND confirmation_sent_on IS NULL
RETURNING *;

-- name: GiftAidEligible :many
-- Gifts in the period not yet in a live claim, not disputed, not wholly
-- refunded, not small donations and not ruled ineligible, each with the
-- declaration that covers it: the one made for that gift, or the donor's
-- standing declaration in force on the day. A single-gift declaration
-- covers the first gift naming it only; an oral one counts once recorded
-- on a call, or once the donor's 30 days after the written record
-- (sent on or before @oral_settled_by) have passed without cancellation.
SELECT d.id, d.donor_id, d.amount_pence, d.refunded_pence, d.paid_at,
    (d.paid_at AT TIME ZONE 'Europe/London')::date AS paid_on,
    g.id AS declaration_id, g.key_id, g.personal_sealed
FROM donations d
JOIN LATERAL (
    SELECT x.id, x.key_id, x.personal_sealed FROM gift_aid_declarations x
    WHERE (x.id = d.gift_aid_declaration_id
           OR (d.donor_id IS NOT NULL AND x.donor_id = d.donor_id AND x.scope <> 'this_gift'
               AND (d.paid_at AT TIME ZONE 'Europe/London')::date >=
                   CASE WHEN x.scope = 'past_four_years_and_future' THEN (x.declared_on - interval '4 years')::date ELSE x.declared_on END))
      AND (x.cancelled_at IS NULL OR d.paid_at < x.cancelled_at)
      AND NOT x.cancelled_retrospectively
      AND (x.method <> 'oral' OR x.recording_reference IS NOT NULL OR x.confirmation_sent_on <= @oral_settled_by::date)
      AND (x.scope <> 'this_gift' OR NOT EXISTS (
          SELECT 1 FROM donations e WHERE e.gift_aid_declaration_id = x.id AND (e.paid_at, e.id) < (d.paid_at, d.id)))
    ORDER BY (x.id = d.gift_aid_declaration_id) DESC, x.declared_on DESC, x.id
    LIMIT 1
) g ON true
WHERE d.gift_aid_claim_id IS NULL
  AND NOT d.small_donation
  AND d.status IN ('paid', 'partially_refunded')
  AND d.amount_pence > d.refunded_pence
  AND (d.paid_at AT TIME ZONE 'Europe/London')::date BETWEEN @from_date AND @to_date
  AND NOT EXISTS (SELECT 1 FROM gift_aid_exclusions e WHERE e.donation_id = d.id)
ORDER BY d.paid_at, d.id;

-- name: GiftAidCovered :many
-- Which of these gifts a Gift Aid declaration covers, for receipts and
-- statements: as GiftAidEligible, whether claimed or not, and counting an
-- oral declaration whose written record is still to go.
SELECT d.id FROM donations d
WHERE d.id = ANY(@ids::uuid[])
  AND NOT d.small_donation
  AND NOT EXISTS (SELECT 1 FROM gift_aid_exclusions e WHERE e.donation_id = d.id)
  AND EXISTS (
    SELECT 1 FROM gift_aid_declarations x
    WHERE (x.id = d.gift_aid_declaration_id
           OR (d.donor_id IS NOT NULL AND x.donor_id = d.donor_id AND x.scope <> 'this_gift'
               AND (d.paid_at AT TIME ZONE 'Europe/London')::date >=
                   CASE WHEN x.scope = 'past_four_years_and_future' THEN (x.declared_on - interval '4 years')::date ELSE x.declared_on END))
      AND (x.cancelled_at IS NULL OR d.paid_at < x.cancelled_at)
      AND NOT x.cancelled_retrospectively
      AND (x.scope <> 'this_gift' OR NOT EXISTS (
          SELECT 1 FROM donations e WHERE e.gift_aid_declaration_id = x.id AND (e.paid_at, e.id) < (d.paid_at, d.id))));

-- name: GiftAidSmallDonationsUnclaimed :many
-- Small donations (GASDS) received in the period and since @earliest
-- (HMRC takes them for two years after the tax year), not yet in a live
-- claim, net of refunds, oldest first (gifts received the same day in
-- the order they were recorded).
SELECT d.id, (d.amount_pence - d.refunded_pence)::bigint AS net_pence, (d.paid_at AT TIME ZONE 'Europe/London')::date AS paid_on
FROM donations d
WHERE d.small_donation AND d.gift_aid_claim_id IS NULL
  AND d.status IN ('paid', 'partially_refunded') AND d.amount_pence > d.refunded_pence
  AND (d.paid_at AT TIME ZONE 'Europe/London')::date BETWEEN GREATEST(@from_date::date, @earliest::date) AND @to_date
  AND NOT EXISTS (SELECT 1 FROM gift_aid_exclusions e WHERE e.donation_id = d.id)
ORDER BY d.paid_at, d.created_at, d.id;

-- name: GiftAidClaimedInPeriod :one
-- What live claims hold of gifts received from..to: Gift Aid donations
-- (under a declaration) and small donations (GASDS), for the scheme's
-- annual limit and matching rule.
SELECT COALESCE(sum(g.claimed_pence) FILTER (WHERE g.declaration_id IS NOT NULL), 0)::bigint AS gift_aid_donations_pence,
       COALESCE(sum(g.claimed_pence) FILTER (WHERE g.declaration_id IS NULL), 0)::bigint AS small_donations_pence
FROM gift_aid_claim_gifts g JOIN donations d ON d.id = g.donation_id
WHERE g.live AND (d.paid_at AT TIME ZONE 'Europe/London')::date BETWEEN @from_date AND @to_date;

-- name: GiftAidClaimedDonations :many
-- The gifts a claim took under declarations, with those declarations, as
-- filed: the amounts claimed on, whatever was refunded since, and kept
-- when the claim is rejected or void.
SELECT d.id, d.donor_id, g.claimed_pence, d.paid_at,
    (d.paid_at AT TIME ZONE 'Europe/London')::date AS paid_on,
    x.id AS declaration_id, x.key_id, x.personal_sealed
FROM gift_aid_claim_gifts g
JOIN donations d ON d.id = g.donation_id
JOIN gift_aid_declarations x ON x.id = g.declaration_id
WHERE g.claim_id = @claim_id
ORDER BY d.paid_at, d.id;

-- name: GiftAidClaimedSmallDonations :many
-- The small donations (GASDS) a claim took, as filed.
SELECT d.id, g.claimed_pence, (d.paid_at AT TIME ZONE 'Europe/London')::date AS paid_on
FROM gift_aid_claim_gifts g JOIN donations d ON d.id = g.donation_id
WHERE g.claim_id = @claim_id AND g.declaration_id IS NULL
ORDER BY d.paid_at, d.id;

-- name: GiftAidClaimGiftsInsert :execrows
-- Records the gifts a claim took (DonationGiftAidClaimSet marked them on
-- the ledger), with the declaration that covered each (uuid.Nil for a
-- small donation) and the amount claimed on. The unique index on live claim
-- gifts is the last word on a gift taken twice.
INSERT INTO gift_aid_claim_gifts (claim_id, donation_id, declaration_id, claimed_pence)
SELECT @claim_id::uuid, v.donation_id, NULLIF(v.declaration_id, '00000000-0000-0000-0000-000000000000'::uuid), v.claimed_pence
FROM (SELECT unnest(@donation_ids::uuid[]) AS donation_id, unnest(@declaration_ids::uuid[]) AS declaration_id,
             unnest(@claimed_pence::bigint[]) AS claimed_pence) v;

-- name: GiftAidClaimGiftsRelease :many
-- A rejected or void claim lets its gifts go: they may be claimed again
-- (DonationGiftAidClaimClear clears them on the ledger). Its record of
-- them stays, no longer live.
UPDATE gift_aid_claim_gifts SET live = false WHERE claim_id = @claim_id::uuid AND live RETURNING donation_id;

-- name: GiftAidClaimAdjustedElsewhere :many
-- Live claims other than this one that pay back Gift Aid on one of its
-- gifts: the claim cannot let those gifts go while they stand.
SELECT DISTINCT a.claim_id FROM gift_aid_adjustments a
JOIN gift_aid_claim_gifts g ON g.donation_id = a.donation_id AND g.claim_id = @claim_id AND g.live
JOIN gift_aid_claims c ON c.id = a.claim_id
WHERE a.claim_id <> @claim_id AND c.status NOT IN ('rejected', 'void');

-- name: GiftAidClaimInsert :one
INSERT INTO gift_aid_claims (id, status, period_from, period_to, donation_count, total_pence, gift_aid_pence, adjustment_pence,
    small_donations_pence, small_donations_top_up_pence, aggregate_limit_pence, accounting_year_end, resubmission_of, created_by, retain_until)
VALUES (@id, 'draft', @period_from, @period_to, @donation_count, @total_pence, @gift_aid_pence, @adjustment_pence,
    @small_donations_pence, @small_donations_top_up_pence, @aggregate_limit_pence, @accounting_year_end, sqlc.narg(resubmission_of),
    sqlc.narg(created_by), @retain_until)
RETURNING *;

-- name: GiftAidClaimGetForUpdate :one
SELECT * FROM gift_aid_claims WHERE id = @id FOR UPDATE;

-- name: GiftAidClaimSubmit :one
UPDATE gift_aid_claims SET status = 'submitted', submitted_on = @submitted_on, submitted_by = sqlc.narg(submitted_by),
    hmrc_reference = sqlc.narg(hmrc_reference)
WHERE id = @id AND status = 'draft'
RETURNING *;

-- name: GiftAidClaimClose :one
-- HMRC's answer (accepted, rejected) or the treasurer's void.
UPDATE gift_aid_claims SET status = @status, decided_on = @decided_on, decided_by = sqlc.narg(decided_by), decision_note = sqlc.narg(decision_note)
WHERE id = @id
RETURNING *;

-- name: GiftAidClaimGet :one
SELECT * FROM gift_aid_claims WHERE id = @id;

-- name: GiftAidClaimList :many
SELECT * FROM gift_aid_claims ORDER BY created_at DESC, id DESC LIMIT @page_size;

-- name: DeclarationRetainUntil :exec
-- A declaration is kept six years after the last claim that relied on it.
UPDATE gift_aid_declarations SET retain_until = GREATEST(retain_until, @retain_until::date)
WHERE id = ANY(@ids::uuid[]);

-- name: GiftAidLock :exec
-- Claims are made one at a time.
SELECT pg_advisory_xact_lock(hashtext('hpa.gift_aid_claim'));

-- name: DeclarationListByMember :many
-- A member's declarations: made while signed in, or by a donor record
-- linked to their membership.
SELECT g.* FROM gift_aid_declarations g
WHERE g.member_id = @member_id
   OR g.donor_id IN (SELECT o.id FROM donors o WHERE o.member_id = @member_id)
ORDER BY g.created_at DESC, g.id DESC
LIMIT 100;

-- name: DeclarationOwnedByMember :one
SELECT EXISTS (
    SELECT 1 FROM gift_aid_declarations g
    WHERE g.id = @id
      AND (g.member_id = @member_id OR g.donor_id IN (SELECT o.id FROM donors o WHERE o.member_id = @member_id))
) AS owned;

-- name: GiftAidAdjustmentsDue :many
-- Gifts in live claims on which less Gift Aid was due than was claimed:
-- refunded since, ruled ineligible or lost to a dispute (then none was
-- due), by more than the adjustments live claims already carry. The part
-- not yet paid back.
SELECT d.id, d.gift_aid_claim_id::uuid AS claimed_in, d.paid_at, v.overclaimed_pence::bigint AS overclaimed_pence
FROM donations d
CROSS JOIN LATERAL (
    SELECT (EXISTS (SELECT 1 FROM gift_aid_exclusions e WHERE e.donation_id = d.id) OR d.dispute_status IS NOT DISTINCT FROM 'lost') AS excluded
) x
CROSS JOIN LATERAL (
    SELECT d.gift_aid_claimed_pence - CASE WHEN x.excluded THEN 0 ELSE d.amount_pence - d.refunded_pence END
           - COALESCE((SELECT sum(a.overclaimed_pence) FROM gift_aid_adjustments a JOIN gift_aid_claims c ON c.id = a.claim_id
                       WHERE a.donation_id = d.id AND c.status NOT IN ('rejected', 'void')), 0) AS overclaimed_pence
) v
WHERE d.gift_aid_claim_id IS NOT NULL AND (d.refunded_pence > 0 OR x.excluded) AND v.overclaimed_pence > 0
ORDER BY d.paid_at, d.id;

-- name: GiftAidAdjustmentsInsert :exec
INSERT INTO gift_aid_adjustments (donation_id, claim_id, overclaimed_pence, gift_aid_pence)
SELECT unnest(@donation_ids::uuid[]), @claim_id, unnest(@overclaimed_pence::bigint[]), unnest(@gift_aid_pence::bigint[]);

-- name: GiftAidClaimAdjustments :many
-- The adjustments a claim carries, with the claim each gift was first in.
SELECT a.donation_id, d.gift_aid_claim_id::uuid AS claimed_in, d.paid_at, a.overclaimed_pence, a.gift_aid_pence
FROM gift_aid_adjustments a JOIN donations d ON d.id = a.donation_id
WHERE a.claim_id = @claim_id
ORDER BY d.paid_at, d.id;

-- name: DeclarationMoveDonor :execrows
-- A treasurer merged two donor records: the declarations go with the gifts.
UPDATE gift_aid_declarations SET donor_id = @to_donor WHERE donor_id = @from_donor;

-- name: DeclarationUnlinkMember :execrows
-- Erasure: a declaration HMRC requires HPA to keep stays with its donor
-- and gifts, but no longer points at the erased membership.
UPDATE gift_aid_declarations SET member_id = NULL WHERE member_id = @member_id;

-- name: GiftAidExclusionSet :one
-- Rules a gift out of Gift Aid, or changes the reason.
INSERT INTO gift_aid_exclusions (donation_id, reason, note, created_by)
VALUES (@donation_id, @reason, @note, sqlc.narg(created_by))
ON CONFLICT (donation_id) DO UPDATE SET reason = excluded.reason, note = excluded.note, created_by = excluded.created_by, created_at = now()
RETURNING *;

-- name: GiftAidExclusionDelete :execrows
DELETE FROM gift_aid_exclusions WHERE donation_id = @donation_id;

-- name: GiftAidDonationExists :one
SELECT EXISTS (SELECT 1 FROM donations WHERE id = @id) AS found;

-- name: GiftAidClaimMoney :many
-- What a claim asks HMRC for, gift by gift: the amounts claimed on
-- (adjustment false) and the Gift Aid paid back (adjustment true).
SELECT g.donation_id, false AS adjustment, g.claimed_pence AS pence FROM gift_aid_claim_gifts g WHERE g.claim_id = @claim_id
UNION ALL
SELECT a.donation_id, true AS adjustment, a.gift_aid_pence AS pence FROM gift_aid_adjustments a WHERE a.claim_id = @claim_id
ORDER BY 1, 2;
