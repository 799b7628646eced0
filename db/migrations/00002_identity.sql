-- Identity and access: staff accounts, their sessions, partner
-- organisations and their API keys, and the append-only audit log.

-- +goose Up
CREATE TABLE staff (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email               text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name        text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    -- argon2id in PHC string form; NULL until an invitation is accepted.
    password_hash       text,
    roles               text[] NOT NULL CHECK (roles <@ ARRAY['admin', 'editor', 'membership', 'treasurer', 'analyst']),
    active              boolean NOT NULL DEFAULT true,
    failed_logins       integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    last_login_at       timestamptz,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON staff (email);

-- One-time tokens for staff (invitations), stored as SHA-256 hashes.
CREATE TABLE staff_tokens (
    token_hash bytea PRIMARY KEY,
    staff_id   uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('invite')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_tokens_staff ON staff_tokens (staff_id);

-- Refresh tokens rotate on every use; each login starts a family, and
-- presenting a token that was already used revokes its whole family.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    family_id  uuid NOT NULL,
    staff_id   uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_staff ON refresh_tokens (staff_id);

CREATE TABLE organisations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    website    text CHECK (length(website) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));

CREATE TABLE api_keys (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id       uuid NOT NULL REFERENCES organisations (id),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The key is <prefix><lookup_id><secret>; lookup_id finds the row, the
    -- SHA-256 of the whole key proves it. The key itself is never stored.
    lookup_id             text NOT NULL UNIQUE,
    key_hash              bytea NOT NULL,
    scopes                text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['members:signup', 'opportunities:write', 'stats:read', 'content:read']),
    allowed_origins       text[] NOT NULL DEFAULT '{}',
    rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
    expires_at            timestamptz,
    revoked_at            timestamptz,
    last_used_at          timestamptz,
    created_by            uuid REFERENCES staff (id),
    created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

-- Who did what to which record, from which request. Never the personal
-- data itself: identifiers only.
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_type  text NOT NULL CHECK (actor_type IN ('staff', 'api_key', 'member', 'system', 'anonymous')),
    actor_id    uuid,
    action      text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_type text,
    target_id   text,
    request_id  text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, id);
CREATE INDEX audit_events_action ON audit_events (action, id);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- API processes cache staff and key records; any change tells them.
-- +goose StatementBegin
CREATE FUNCTION notify_identity_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hpa_identity_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- Bookkeeping columns (failed_logins, last_login_at, last_used_at) are left
-- out so routine use does not empty every cache.
CREATE TRIGGER staff_changed
    AFTER INSERT OR DELETE OR UPDATE OF email, display_name, roles, active ON staff
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();
CREATE TRIGGER api_keys_changed
    AFTER INSERT OR DELETE OR UPDATE OF name, scopes, allowed_origins, rate_limit_per_minute, expires_at, revoked_at ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_identity_changed();

-- +goose Down
DROP TABLE audit_events, api_keys, organisations, refresh_tokens, staff_tokens, staff;
DROP FUNCTION audit_events_append_only(), notify_identity_changed();
