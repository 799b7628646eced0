-- name: OpportunityInsert :one
INSERT INTO opportunities (kind, title, summary, description, description_html, organiser_name, organisation_id, audiences, online, location,
    starts_at, ends_at, closes_at, capacity, external_url, ethics_reference, contact_name, contact_email, hpa_contact_id, status,
    submitted_by_key, created_by)
VALUES (@kind, @title, @summary, @description, @description_html, @organiser_name, sqlc.narg(organisation_id), @audiences, @online, sqlc.narg(location),
    sqlc.narg(starts_at), sqlc.narg(ends_at), sqlc.narg(closes_at), sqlc.narg(capacity), sqlc.narg(external_url), sqlc.narg(ethics_reference),
    sqlc.narg(contact_name), sqlc.narg(contact_email), sqlc.narg(hpa_contact_id), @status, sqlc.narg(submitted_by_key), sqlc.narg(created_by))
RETURNING *;

-- name: OpportunityGet :one
SELECT * FROM opportunities WHERE id = @id;

-- name: OpportunityGetForUpdate :one
SELECT * FROM opportunities WHERE id = @id FOR UPDATE;

-- name: OpportunityUpdate :one
UPDATE opportunities SET kind = @kind, title = @title, summary = @summary, description = @description, description_html = @description_html,
    organiser_name = @organiser_name, audiences = @audiences, online = @online, location = sqlc.narg(location),
    starts_at = sqlc.narg(starts_at), ends_at = sqlc.narg(ends_at), closes_at = sqlc.narg(closes_at), capacity = sqlc.narg(capacity),
    external_url = sqlc.narg(external_url), ethics_reference = sqlc.narg(ethics_reference), contact_name = sqlc.narg(contact_name),
    contact_email = sqlc.narg(contact_email), hpa_contact_id = sqlc.narg(hpa_contact_id), status = @status, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: OpportunitySetStatus :one
UPDATE opportunities SET status = @status, review_note = sqlc.narg(review_note),
    published_at = CASE WHEN @status = 'published' THEN coalesce(published_at, now()) ELSE published_at END, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: OpportunityListPublished :many
SELECT * FROM opportunities
WHERE status = 'published'
  AND (sqlc.narg(kind)::text IS NULL OR kind = sqlc.narg(kind))
  AND (sqlc.narg(audience)::text IS NULL OR sqlc.narg(audience)::text = ANY (audiences) OR cardinality(audiences) = 0)
  AND (NOT @upcoming::boolean OR coalesce(ends_at, starts_at, closes_at, 'infinity'::timestamptz) >= @now::timestamptz)
  AND (sqlc.narg(after_published)::timestamptz IS NULL OR (published_at, id) < (sqlc.narg(after_published)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY published_at DESC, id DESC
LIMIT @page_size;

-- name: OpportunityListForReview :many
SELECT * FROM opportunities
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(after_created)::timestamptz IS NULL OR (created_at, id) > (sqlc.narg(after_created)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at, id
LIMIT @page_size;

-- name: OpportunityListByOrganisation :many
SELECT * FROM opportunities
WHERE organisation_id = @organisation_id
  AND (sqlc.narg(after_created)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_created)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: OpportunityListCalendar :many
SELECT * FROM opportunities
WHERE status = 'published' AND starts_at IS NOT NULL AND starts_at >= @since::timestamptz
ORDER BY starts_at, id
LIMIT 1000;

-- name: RegistrationInsert :one
-- When the address already holds a place (or a place in the queue) the
-- standing registration is returned instead, unchanged (the no-op update
-- is what makes RETURNING give it); the caller tells them apart by ID.
INSERT INTO registrations (id, opportunity_id, member_id, email_hash, email_sealed, name, status, accessibility_sealed, share_with_organiser)
VALUES (@id, @opportunity_id, sqlc.narg(member_id), @email_hash, @email_sealed, @name, @status, sqlc.narg(accessibility_sealed), @share_with_organiser)
ON CONFLICT (opportunity_id, email_hash) WHERE status <> 'cancelled' DO UPDATE SET status = registrations.status
RETURNING *;

-- name: RegistrationMarkDuplicateNotice :one
-- A standing registration whose owner was not told about another attempt
-- to book it since @since; marks them told at @now.
UPDATE registrations SET duplicate_notice_at = @now::timestamptz
WHERE id = @id AND status <> 'cancelled' AND (duplicate_notice_at IS NULL OR duplicate_notice_at <= @since::timestamptz)
RETURNING *;

-- name: RegistrationCountWaitlisted :one
SELECT count(*) FROM registrations WHERE opportunity_id = @opportunity_id AND status = 'waitlisted';

-- name: RegistrationCountConfirmed :one
SELECT count(*) FROM registrations WHERE opportunity_id = @opportunity_id AND status = 'confirmed';

-- name: RegistrationWaitlistPosition :one
SELECT count(*) FROM registrations
WHERE opportunity_id = @opportunity_id AND status = 'waitlisted' AND (created_at, id) <= (@created_at::timestamptz, @id::uuid);

-- name: RegistrationGet :one
SELECT * FROM registrations WHERE id = @id;

-- name: RegistrationCancel :one
UPDATE registrations SET status = 'cancelled', cancelled_at = now() WHERE id = @id AND status <> 'cancelled' RETURNING *;

-- name: RegistrationFirstWaitlisted :one
SELECT * FROM registrations WHERE opportunity_id = @opportunity_id AND status = 'waitlisted' ORDER BY created_at, id LIMIT 1;

-- name: RegistrationPromote :one
UPDATE registrations SET status = 'confirmed', promoted_at = now() WHERE id = @id AND status = 'waitlisted' RETURNING *;

-- name: RegistrationListByOpportunity :many
SELECT * FROM registrations WHERE opportunity_id = @opportunity_id ORDER BY status, created_at, id;

-- name: RegistrationMarkReminded :one
UPDATE registrations SET reminded_at = now() WHERE id = @id AND status = 'confirmed' AND reminded_at IS NULL RETURNING *;

-- name: RegistrationListByMember :many
SELECT r.id, r.status, r.created_at, o.id AS opportunity_id, o.title, o.kind, o.starts_at, o.status AS opportunity_status
FROM registrations r JOIN opportunities o ON o.id = r.opportunity_id
WHERE r.member_id = @member_id
ORDER BY r.created_at DESC;

-- name: AlertSendStart :execrows
INSERT INTO alert_sends (opportunity_id, state) VALUES (@opportunity_id, 'running') ON CONFLICT DO NOTHING;

-- name: AlertSendGet :one
SELECT * FROM alert_sends WHERE opportunity_id = @opportunity_id;

-- name: AlertSendSetState :one
UPDATE alert_sends SET state = @state, updated_at = now() WHERE opportunity_id = @opportunity_id RETURNING *;

-- name: AlertSendSetMatched :exec
UPDATE alert_sends SET matched = @matched, updated_at = now() WHERE opportunity_id = @opportunity_id;

-- name: AlertsInsertMatching :execrows
-- Active members who asked for this kind of opportunity, whose current
-- consent for it is a grant (members' views: the rules are theirs), and
-- who share one of its audiences (if it names any).
-- Someone alerted in the last week, or who chose a digest, gets it in
-- their digest instead.
INSERT INTO opportunity_alerts (opportunity_id, member_id, state)
SELECT @opportunity_id, m.member_id,
    CASE WHEN m.email_frequency <> 'as-it-happens' THEN 'digest'
         WHEN EXISTS (SELECT 1 FROM opportunity_alerts a WHERE a.member_id = m.member_id AND a.state IN ('pending', 'sent')
                      AND coalesce(a.sent_at, a.created_at) > @since::timestamptz) THEN 'digest'
         ELSE 'pending' END
FROM member_email_preferences m
WHERE @interest::text = ANY (m.interests)
  AND (cardinality(@audiences::text[]) = 0 OR m.audiences && @audiences::text[])
  AND coalesce((SELECT c.granted FROM member_current_consents c WHERE c.member_id = m.member_id AND c.purpose = @purpose), false)
ON CONFLICT DO NOTHING;

-- name: AlertsPending :many
SELECT member_id FROM opportunity_alerts WHERE opportunity_id = @opportunity_id AND state = 'pending';

-- name: AlertCounts :many
SELECT state, count(*)::bigint AS n FROM opportunity_alerts WHERE opportunity_id = @opportunity_id GROUP BY state;

-- name: AlertGetForUpdate :one
SELECT * FROM opportunity_alerts WHERE opportunity_id = @opportunity_id AND member_id = @member_id FOR UPDATE;

-- name: AlertMarkSent :exec
UPDATE opportunity_alerts SET state = 'sent', sent_at = now() WHERE opportunity_id = @opportunity_id AND member_id = @member_id;

-- name: AlertMarkSkipped :exec
UPDATE opportunity_alerts SET state = 'skipped' WHERE opportunity_id = @opportunity_id AND member_id = @member_id;

-- name: DigestMembersDue :many
-- Members with digest alerts waiting whose digest day it is.
SELECT DISTINCT a.member_id FROM opportunity_alerts a JOIN member_email_preferences m ON m.member_id = a.member_id
WHERE a.state = 'digest'
  AND (m.email_frequency <> 'monthly-digest' OR @first_of_month::boolean)
  AND (m.email_frequency = 'monthly-digest' OR @weekly_day::boolean);

-- name: DigestAlertsForMember :many
SELECT o.* FROM opportunity_alerts a JOIN opportunities o ON o.id = a.opportunity_id
WHERE a.member_id = @member_id AND a.state = 'digest' AND o.status = 'published'
ORDER BY o.published_at
FOR UPDATE OF a;

-- name: DigestMarkDone :exec
UPDATE opportunity_alerts SET state = 'digested', sent_at = now() WHERE member_id = @member_id AND state = 'digest';

-- name: OutcomeInsert :one
INSERT INTO opportunity_outcomes (opportunity_id, summary, link) VALUES (@opportunity_id, @summary, sqlc.narg(link)) RETURNING *;

-- name: OutcomeList :many
SELECT * FROM opportunity_outcomes WHERE opportunity_id = @opportunity_id AND (NOT @published_only::boolean OR published_at IS NOT NULL) ORDER BY id;

-- name: OutcomeGetForPublish :one
-- An outcome about to be published, locked so that two publications of
-- it (a double click) tell the organiser once.
SELECT * FROM opportunity_outcomes WHERE id = @id AND opportunity_id = @opportunity_id FOR UPDATE;

-- name: OutcomePublish :one
UPDATE opportunity_outcomes SET published_at = now() WHERE id = @id AND published_at IS NULL RETURNING *;

-- name: OutcomesPublishedForMember :many
SELECT oc.* FROM opportunity_outcomes oc JOIN registrations r ON r.opportunity_id = oc.opportunity_id
WHERE r.member_id = @member_id AND oc.published_at IS NOT NULL
ORDER BY oc.id;

-- name: OpportunityIDs :many
-- Every opportunity: a registration's email hash is per opportunity, so
-- finding a person's registrations by address means one hash for each.
SELECT id FROM opportunities ORDER BY id;

-- name: RegistrationListForPerson :many
-- A person's registrations, by member or by the per-opportunity hashes of
-- their address, with whether each still holds a place to give up.
SELECT r.id, r.opportunity_id, r.status,
    (r.status <> 'cancelled' AND (o.starts_at IS NULL OR o.starts_at > now()))::boolean AS holds_place
FROM registrations r JOIN opportunities o ON o.id = r.opportunity_id
WHERE r.member_id = sqlc.narg(member_id) OR r.email_hash = ANY(@email_hashes::bytea[])
ORDER BY r.opportunity_id, r.id;

-- name: RegistrationErase :exec
-- Erasure: the row stays, anonymous, so an event keeps its numbers; the
-- hash becomes one of the row's ID, which no address leads back to.
UPDATE registrations SET member_id = NULL, name = NULL, email_sealed = NULL, accessibility_sealed = NULL,
    share_with_organiser = false, email_hash = sha256(uuid_send(id))
WHERE id = @id;

-- name: AlertsDeleteForMember :execrows
DELETE FROM opportunity_alerts WHERE member_id = @member_id;

-- name: RegistrationCountConfirmedByOpportunity :many
SELECT opportunity_id, count(*) AS confirmed FROM registrations
WHERE opportunity_id = ANY (@opportunity_ids::uuid[]) AND status = 'confirmed'
GROUP BY opportunity_id;

-- name: RegistrationsSealedEmails :many
-- Registrations whose address can still be opened, in ID order after
-- @after, for re-keying their hashes (hpa keys rehash).
SELECT id, opportunity_id, email_sealed, email_hash FROM registrations
WHERE email_sealed IS NOT NULL AND id > @after ORDER BY id LIMIT @batch;

-- name: RegistrationSetEmailHash :exec
UPDATE registrations SET email_hash = @email_hash WHERE id = @id;
