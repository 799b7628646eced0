-- Failed staff sign-ins slow further attempts down instead of locking the
-- account, which let anyone lock a colleague out with five wrong
-- passwords. Failures are counted per email address, whether or not an
-- account has it, so the slowing down cannot tell an attacker which
-- addresses are accounts. The address is kept only as a keyed hash
-- (HPA_HASH_KEY): attackers type anyone's address.

-- +goose Up
CREATE TABLE login_failures (
    email_hash       bytea PRIMARY KEY,
    failures         integer NOT NULL CHECK (failures > 0),
    first_failure_at timestamptz NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    -- When the account's owner was told about this burst of failures.
    notified_at      timestamptz
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);

ALTER TABLE staff DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- +goose Down
ALTER TABLE staff ADD COLUMN failed_logins integer NOT NULL DEFAULT 0, ADD COLUMN locked_until timestamptz;
DROP TABLE login_failures;
