-- name: MemberSignupInsert :batchone
-- A new member with their consents and special-category data in one
-- statement (the confirmation token is minted only if its email is sent). Returns nothing when the address already has a
-- membership that is not erased (the caller then takes the "already a
-- member" path); an erased member's tombstone does not count.
WITH m AS (
    INSERT INTO members (id, email_hash, email_sealed, name, organisation, role_title, audiences, region, interests,
                         status, source, source_key_id, source_organisation_id)
    VALUES (@id, @email_hash, @email_sealed, @name, sqlc.narg(organisation), sqlc.narg(role_title), @audiences, sqlc.narg(region), @interests,
            @status, @source, sqlc.narg(source_key_id), sqlc.narg(source_organisation_id))
    ON CONFLICT (email_hash) WHERE status <> 'erased' DO NOTHING
    RETURNING id
), consents AS (
    INSERT INTO consent_events (member_id, purpose, granted, text_version, text_hash, source, source_key_id, request_id)
    SELECT m.id, (@consent_purposes::text[])[i], true, (@consent_versions::text[])[i], (@consent_hashes::bytea[])[i],
           @source, sqlc.narg(source_key_id), sqlc.narg(request_id)
    FROM m, generate_series(1, cardinality(@consent_purposes::text[])) AS i
), sensitive AS (
    INSERT INTO member_sensitive (member_id, harmed_sealed, experience_sealed, accessibility_needs_sealed)
    SELECT m.id, sqlc.narg(harmed_sealed), sqlc.narg(experience_sealed), sqlc.narg(accessibility_needs_sealed)
    FROM m WHERE @has_sensitive::boolean
)
SELECT id FROM m;

-- name: MemberMarkImportedActive :exec
UPDATE members SET confirmed_at = now() WHERE id = @id AND status = 'active';

-- name: MemberGetByEmailHash :one
-- The address's live membership: never a tombstone (members_email_hash_live
-- allows one at most).
SELECT * FROM members WHERE email_hash = @email_hash AND status <> 'erased';

-- name: MemberEmailHashKnown :one
-- Whether the address has a membership or ever had one it asked to erase.
SELECT EXISTS (SELECT 1 FROM members WHERE email_hash = @email_hash)::boolean;

-- name: MemberGetByID :one
SELECT * FROM members WHERE id = @id;

-- name: MemberGetByIDForErasure :one
-- The member about to be erased, locked first: a sign-in link or alert
-- being made for them (FOR SHARE, below) finishes before the erasure
-- deletes tokens and queued email, or waits and then sees the erasure.
SELECT * FROM members WHERE id = @id FOR UPDATE;

-- name: MemberGetByIDToMail :one
-- A member about to be emailed: the share lock makes an erasure wait for
-- this transaction, whose email it then erases, or makes this one see
-- the erasure; never an email queued to someone erased meanwhile.
SELECT * FROM members WHERE id = @id FOR SHARE;

-- name: MemberGetByEmailHashToMail :one
-- MemberGetByEmailHash, locked as MemberGetByIDToMail is.
SELECT * FROM members WHERE email_hash = @email_hash AND status <> 'erased' FOR SHARE;

-- name: MemberActivate :one
UPDATE members SET status = 'active', confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
WHERE id = @id AND status IN ('pending', 'active')
RETURNING *;

-- name: MemberUpdateProfile :one
UPDATE members SET
    name            = coalesce(sqlc.narg(name), name),
    organisation    = CASE WHEN sqlc.arg(set_organisation)::boolean THEN sqlc.narg(organisation) ELSE organisation END,
    role_title      = CASE WHEN sqlc.arg(set_role_title)::boolean THEN sqlc.narg(role_title) ELSE role_title END,
    audiences       = coalesce(sqlc.narg(audiences)::text[], audiences),
    region          = CASE WHEN sqlc.arg(set_region)::boolean THEN sqlc.narg(region) ELSE region END,
    interests       = coalesce(sqlc.narg(interests)::text[], interests),
    email_frequency = coalesce(sqlc.narg(email_frequency), email_frequency),
    updated_at      = now()
WHERE id = @id AND status <> 'erased'
RETURNING *;

-- name: MemberUnsubscribe :one
UPDATE members SET status = 'unsubscribed', interests = '{}', unsubscribed_at = coalesce(unsubscribed_at, now()), updated_at = now()
WHERE id = @id AND status IN ('pending', 'active', 'unsubscribed')
RETURNING *;

-- name: MemberResubscribe :exec
UPDATE members SET status = 'active', unsubscribed_at = NULL, updated_at = now() WHERE id = @id AND status = 'unsubscribed';

-- name: MemberErase :exec
-- Keeps the row as an anonymous tombstone: its ID (for the consent history
-- and records the law requires, such as Gift Aid) and the keyed email hash
-- (so an import never adds the address again). If the person joins again
-- themself, that is a new membership on a new row.
UPDATE members SET email_sealed = NULL, name = NULL, organisation = NULL, role_title = NULL, audiences = '{}', region = NULL,
    interests = '{}', status = 'erased', erased_at = now(), updated_at = now()
WHERE id = @id;

-- name: MemberList :many
SELECT * FROM members
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(interest)::text IS NULL OR sqlc.narg(interest)::text = ANY (interests))
  AND (sqlc.narg(audience)::text IS NULL OR sqlc.narg(audience)::text = ANY (audiences))
  AND (sqlc.narg(source)::text IS NULL OR source = sqlc.narg(source))
  AND (sqlc.narg(joined_from)::timestamptz IS NULL OR created_at >= sqlc.narg(joined_from))
  AND (sqlc.narg(joined_to)::timestamptz IS NULL OR created_at < sqlc.narg(joined_to))
  -- Searching by address finds the live membership, never a tombstone.
  AND (sqlc.narg(email_hash)::bytea IS NULL OR (email_hash = sqlc.narg(email_hash) AND status <> 'erased'))
  -- name_like is matched literally: its %, _ and \ are escaped, not wildcards.
  AND (sqlc.narg(name_like)::text IS NULL
       OR name ILIKE '%' || replace(replace(replace(sqlc.narg(name_like)::text, '\', '\\'), '%', '\%'), '_', '\_') || '%' ESCAPE '\')
  AND (sqlc.narg(after_created)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_created)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: MemberSegment :many
-- Members whose current consent (their latest event for the purpose)
-- grants purpose, for exports and alerts.
SELECT m.* FROM members m
JOIN LATERAL (
    SELECT granted FROM consent_events c WHERE c.member_id = m.id AND c.purpose = @purpose ORDER BY c.id DESC LIMIT 1
) latest ON latest.granted
WHERE m.status = 'active'
  AND (sqlc.narg(audience)::text IS NULL OR sqlc.narg(audience)::text = ANY (m.audiences))
ORDER BY m.created_at, m.id;

-- name: MemberCountsByStatus :many
SELECT status, count(*)::bigint AS n FROM members GROUP BY status ORDER BY status;

-- name: MemberCountsByInterest :many
SELECT interest::text AS interest, count(*)::bigint AS n FROM members, unnest(interests) AS interest
WHERE status = 'active' GROUP BY interest ORDER BY interest;

-- name: MemberCountsByAudience :many
SELECT audience::text AS audience, count(*)::bigint AS n FROM members, unnest(audiences) AS audience
WHERE status = 'active' GROUP BY audience ORDER BY audience;

-- name: MemberCountsBySource :many
SELECT source, count(*)::bigint AS n FROM members WHERE status = 'active' GROUP BY source ORDER BY source;

-- name: MemberJoinsByMonth :many
SELECT to_char(date_trunc('month', confirmed_at AT TIME ZONE 'Europe/London'), 'YYYY-MM')::text AS month, count(*)::bigint AS n
FROM members WHERE confirmed_at IS NOT NULL AND status <> 'erased'
GROUP BY 1 ORDER BY 1;

-- name: MemberPurgePending :many
-- Unconfirmed signups older than the cut-off, for the retention job.
SELECT id FROM members WHERE status = 'pending' AND created_at < @before LIMIT 1000;

-- name: MemberDelete :exec
DELETE FROM members WHERE id = @id AND status = 'pending';

-- name: ConsentInsert :exec
INSERT INTO consent_events (member_id, purpose, granted, text_version, text_hash, source, source_key_id, request_id)
SELECT @member_id, (@purposes::text[])[i], (@granted::boolean[])[i], (@versions::text[])[i], (@hashes::bytea[])[i],
       @source, sqlc.narg(source_key_id), sqlc.narg(request_id)
FROM generate_series(1, cardinality(@purposes::text[])) AS i;

-- name: ConsentListByMember :many
SELECT * FROM consent_events WHERE member_id = @member_id ORDER BY id;

-- name: ConsentCurrentByMember :many
SELECT DISTINCT ON (purpose) purpose, granted, text_version, occurred_at FROM consent_events
WHERE member_id = @member_id ORDER BY purpose, id DESC;

-- name: ConsentDeleteForPurge :exec
-- Only the purge of never-confirmed signups deletes consent events, in a
-- transaction that set hpa.purging_unconfirmed (see the trigger).
DELETE FROM consent_events WHERE member_id = @member_id;

-- name: SensitiveGet :one
SELECT * FROM member_sensitive WHERE member_id = @member_id;

-- name: SensitiveUpsert :exec
INSERT INTO member_sensitive (member_id, harmed_sealed, experience_sealed, accessibility_needs_sealed)
VALUES (@member_id, sqlc.narg(harmed_sealed), sqlc.narg(experience_sealed), sqlc.narg(accessibility_needs_sealed))
ON CONFLICT (member_id) DO UPDATE SET harmed_sealed = excluded.harmed_sealed, experience_sealed = excluded.experience_sealed,
    accessibility_needs_sealed = excluded.accessibility_needs_sealed, updated_at = now();

-- name: SensitiveDelete :exec
DELETE FROM member_sensitive WHERE member_id = @member_id;

-- name: MemberTokenInsert :batchexec
INSERT INTO member_tokens (token_hash, member_id, purpose, expires_at, partner_organisation_id, partner_key_id)
VALUES (@token_hash, @member_id, @purpose, @expires_at, sqlc.narg(partner_organisation_id), sqlc.narg(partner_key_id));

-- name: MemberGetForLinkEmail :one
-- A member a link email is about to be written for, with the hash of the
-- link's token if it can still be used (one of token_hashes: its hash
-- under each key; NULL once used, expired or deleted).
SELECT sqlc.embed(members),
    (SELECT t.token_hash FROM member_tokens t
     WHERE t.token_hash = ANY (@token_hashes::bytea[]) AND t.member_id = members.id AND t.used_at IS NULL
       AND t.expires_at > sqlc.arg(now)::timestamptz
     LIMIT 1)::bytea AS live_token_hash
FROM members WHERE members.id = @id;

-- name: MemberTokenUse :one
UPDATE member_tokens SET used_at = sqlc.arg(now)::timestamptz
WHERE token_hash = sqlc.arg(token_hash) AND purpose = sqlc.arg(purpose) AND used_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
RETURNING member_id, partner_organisation_id, partner_key_id;

-- name: MemberTokenPurge :execrows
DELETE FROM member_tokens WHERE expires_at < @before;

-- name: MemberTokenDeleteForMember :exec
DELETE FROM member_tokens WHERE member_id = @member_id;

-- name: MemberNoteInsert :one
INSERT INTO member_notes (member_id, author_id, body) VALUES (@member_id, @author_id, @body) RETURNING *;

-- name: MemberNoteList :many
SELECT * FROM member_notes WHERE member_id = @member_id ORDER BY id;

-- name: MemberNotesDelete :exec
DELETE FROM member_notes WHERE member_id = @member_id;

-- name: MemberThrottleTake :batchone
-- Claims the right to send one email of kind to an address: returns a row
-- only if none was sent within the interval.
INSERT INTO member_email_throttle (email_hash, kind, last_sent_at) VALUES (@email_hash, @kind, sqlc.arg(now)::timestamptz)
ON CONFLICT (email_hash, kind) DO UPDATE SET last_sent_at = excluded.last_sent_at
    WHERE member_email_throttle.last_sent_at < sqlc.arg(now)::timestamptz - sqlc.arg(interval_seconds)::integer * interval '1 second'
RETURNING kind;

-- name: MemberThrottlePurge :execrows
DELETE FROM member_email_throttle WHERE last_sent_at < @before;

-- name: MemberCopy :copyfrom
INSERT INTO members (id, email_hash, email_sealed, name, audiences, interests, status, source, confirmed_at)
VALUES (@id, @email_hash, @email_sealed, @name, @audiences, @interests, @status, @source, @confirmed_at);

-- name: ConsentCopy :copyfrom
INSERT INTO consent_events (member_id, purpose, granted, text_version, text_hash, source)
VALUES (@member_id, @purpose, @granted, @text_version, @text_hash, @source);

-- name: MemberSignupRequestInsertMany :exec
-- Queues the signups of requests that arrived together, in one statement
-- and one commit. run_afters are the service's clock, which the claims
-- compare them with.
INSERT INTO member_signup_requests (id, payload_sealed, run_after)
SELECT unnest(@ids::uuid[]), unnest(@payloads_sealed::bytea[]), unnest(@run_afters::timestamptz[]);

-- name: MemberSignupRequestClaim :many
-- Claims up to batch due signups, oldest first, for this transaction; rows
-- another transaction holds are left to it.
SELECT id, payload_sealed, attempts FROM member_signup_requests
WHERE run_after <= @now
ORDER BY run_after
LIMIT @batch
FOR UPDATE SKIP LOCKED;

-- name: MemberSignupRequestDelete :exec
DELETE FROM member_signup_requests WHERE id = ANY (@ids::uuid[]);

-- name: MemberSignupRequestRetry :exec
-- Puts a failed signup back for later.
UPDATE member_signup_requests SET attempts = attempts + 1, run_after = @run_after WHERE id = @id;

-- name: MemberSignupRequestPurge :execrows
-- Signups that kept failing (the queue gives up on them after its last
-- attempt and leaves them here until then).
DELETE FROM member_signup_requests WHERE created_at < @before;

-- name: MembersSealedEmails :many
-- Memberships whose address can still be opened, in ID order after @after,
-- for re-keying their hashes after the hash key is rotated (hpa keys
-- rehash). An erased member's tombstone has no address left to re-key.
SELECT id, email_sealed, email_hash FROM members
WHERE email_sealed IS NOT NULL AND id > @after ORDER BY id LIMIT @batch;

-- name: MemberSetEmailHash :exec
UPDATE members SET email_hash = @email_hash WHERE id = @id;
