-- Outgoing webhooks (internal/webhooks): endpoints that partner
-- organisations (or HPA's own tools) register, the events they receive,
-- and each delivery with its attempts. Secrets are sealed (the service
-- must read them to sign); event payloads are sealed too, since some
-- carry a person's name and address, and are wiped when the person
-- withdraws or is erased, or after the retention period.

-- +goose Up
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
    CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['members:signup', 'opportunities:write', 'stats:read', 'content:read', 'webhooks:manage']);

-- Who HPA writes to about an organisation's integration (a disabled
-- webhook endpoint).
ALTER TABLE organisations ADD COLUMN contact_email text CHECK (length(contact_email) BETWEEN 3 AND 254);

CREATE TABLE webhook_endpoints (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL for HPA's own tools.
    organisation_id            uuid REFERENCES organisations (id),
    url                        text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description                text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    events                     text[] NOT NULL CHECK (cardinality(events) > 0),
    enabled                    boolean NOT NULL DEFAULT true,
    -- Why it is disabled: by a person, or after persistent failure.
    disabled_reason            text CHECK (disabled_reason IN ('manual', 'failing')),
    secret_sealed              bytea NOT NULL,
    -- After a rotation the previous secret still signs until it expires.
    previous_secret_sealed     bytea,
    previous_secret_expires_at timestamptz,
    -- Since when every attempt failed; NULL after a success.
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_organisation ON webhook_endpoints (organisation_id, created_at);

CREATE TABLE webhook_events (
    id              uuid PRIMARY KEY,
    type            text NOT NULL,
    -- Whose endpoints receive it: NULL for HPA's own.
    organisation_id uuid,
    -- Set for a test event, which goes to that endpoint only.
    endpoint_id     uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The body sent, sealed; NULL once cancelled or past retention.
    payload_sealed  bytea,
    -- Keyed hash of the address of the person the payload is about, so an
    -- erasure or a withdrawal can cancel what was not delivered yet.
    person_hash     bytea,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_person ON webhook_events (person_hash) WHERE payload_sealed IS NOT NULL;
CREATE INDEX webhook_events_created ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    -- Retries used since the delivery was (re)started: the index into the
    -- retry schedule.
    step            integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_latency_ms integer,
    last_error      text,
    succeeded_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    delivery_id     bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt         integer NOT NULL,
    attempted_at    timestamptz NOT NULL,
    response_status integer,
    latency_ms      integer NOT NULL,
    error           text,
    PRIMARY KEY (delivery_id, attempt)
);

-- A partner-sharing consent given through an organisation's signup of
-- someone who is already a member takes effect when they use the link
-- HPA emails them: the token carries it until then.
ALTER TABLE member_tokens ADD COLUMN partner_organisation_id uuid REFERENCES organisations (id),
                          ADD COLUMN partner_key_id uuid REFERENCES api_keys (id);

-- +goose Down
ALTER TABLE member_tokens DROP COLUMN partner_key_id, DROP COLUMN partner_organisation_id;
DROP TABLE webhook_attempts, webhook_deliveries, webhook_events, webhook_endpoints;
ALTER TABLE organisations DROP COLUMN contact_email;
-- A key that held only webhooks:manage cannot be described by the old
-- schema: it is revoked (its row stays for the audit trail and the
-- members it signed up) with a scope that no longer matters.
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), scopes = '{content:read}'
WHERE scopes = '{webhooks:manage}';
UPDATE api_keys SET scopes = array_remove(scopes, 'webhooks:manage');
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
    CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['members:signup', 'opportunities:write', 'stats:read', 'content:read']);
