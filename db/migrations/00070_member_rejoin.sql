-- Someone who erased their data may join again later: that is a new
-- membership, with a new row and ID, while the tombstone keeps its ID,
-- consent history and keyed email hash untouched. So the hash is unique
-- only among memberships that are not erased (one live membership per
-- address); tombstones keep theirs for the import check, which must never
-- re-add an address whose owner asked to be erased.

-- +goose Up
ALTER TABLE members DROP CONSTRAINT members_email_hash_key;
CREATE UNIQUE INDEX members_email_hash_live ON members (email_hash) WHERE status <> 'erased';
CREATE INDEX members_email_hash_erased ON members (email_hash) WHERE status = 'erased';

-- +goose Down
-- Fails while a rejoined member's tombstone shares its hash: the old
-- schema cannot hold both.
DROP INDEX members_email_hash_erased;
DROP INDEX members_email_hash_live;
ALTER TABLE members ADD CONSTRAINT members_email_hash_key UNIQUE (email_hash);
