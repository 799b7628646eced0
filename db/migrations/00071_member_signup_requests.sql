-- Signups waiting for their background job. The request path only seals
-- the signup into a row here and queues a job naming the row, the same
-- work whether or not the address is already a member, so its timing
-- reveals nothing; the job then inserts the member (or writes to the one
-- who exists) and deletes the row in the same transaction. The sealed
-- payload therefore lives only until the job runs, and River's job rows
-- (kept a day) hold nothing but the row's ID.

-- +goose Up
CREATE TABLE member_signup_requests (
    id             uuid PRIMARY KEY,
    -- The signup as JSON, sealed (AES-256-GCM) and bound to the row's ID.
    payload_sealed bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_signup_requests_created ON member_signup_requests (created_at);

-- +goose Down
DROP TABLE member_signup_requests;
