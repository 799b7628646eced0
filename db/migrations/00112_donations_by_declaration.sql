-- Gifts found by the declaration made with them: a single-gift
-- declaration covers only the first gift naming it, which claims, receipts
-- and the offline-gift check look up per gift.

-- +goose Up
CREATE INDEX donations_gift_aid_declaration ON donations (gift_aid_declaration_id, paid_at, id) WHERE gift_aid_declaration_id IS NOT NULL;

-- +goose Down
DROP INDEX donations_gift_aid_declaration;
