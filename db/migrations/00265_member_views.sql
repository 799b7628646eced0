-- What other capabilities may read of members, defined by their owner
-- (internal/members) so its rules stay in one place: engagement matches
-- alerts and digests on these views, never on members' tables.

-- +goose Up
-- A member's current consent for a purpose is their latest event for it.
CREATE VIEW member_current_consents AS
SELECT DISTINCT ON (member_id, purpose) member_id, purpose, granted
FROM consent_events
ORDER BY member_id, purpose, id DESC;

-- What active members asked to hear about, and how often.
CREATE VIEW member_email_preferences AS
SELECT id AS member_id, interests, audiences, email_frequency
FROM members
WHERE status = 'active';

-- +goose Down
DROP VIEW member_email_preferences;
DROP VIEW member_current_consents;
