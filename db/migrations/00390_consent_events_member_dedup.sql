-- The index that finds a member's consent history held one entry per
-- event, (member_id, id): a uuid and a bigint for each of the three or more
-- events a signup writes, a sixth of what a member costs in the database
-- after the job history. Indexed on member_id alone, B-tree deduplication
-- keeps one key per member with a list of its rows, about half the size;
-- the few events of a member are sorted by id after the lookup.

-- +goose Up
CREATE INDEX consent_events_member_id ON consent_events (member_id);
DROP INDEX consent_events_member;
ALTER INDEX consent_events_member_id RENAME TO consent_events_member;

-- +goose Down
CREATE INDEX consent_events_member_id ON consent_events (member_id, id);
DROP INDEX consent_events_member;
ALTER INDEX consent_events_member_id RENAME TO consent_events_member;
