-- Queued signups are carried out by the signup queue (internal/members,
-- queue.go) in batches, rather than one River job each: the request only
-- inserts its sealed row here, and a batch of rows becomes members, tokens
-- and confirmation emails in one transaction. A signup whose batch fails
-- is tried again on its own, after a back-off that grows with attempts.

-- +goose Up
ALTER TABLE member_signup_requests
    ADD COLUMN attempts  integer NOT NULL DEFAULT 0,
    ADD COLUMN run_after timestamptz NOT NULL DEFAULT now();
DROP INDEX member_signup_requests_created;
CREATE INDEX member_signup_requests_due ON member_signup_requests (run_after);

-- +goose Down
DROP INDEX member_signup_requests_due;
CREATE INDEX member_signup_requests_created ON member_signup_requests (created_at);
ALTER TABLE member_signup_requests DROP COLUMN attempts, DROP COLUMN run_after;
