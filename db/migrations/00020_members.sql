-- Membership: members, their special-category data (sealed, in its own
-- table), the append-only consent history, one-time tokens, notes, and
-- the per-address email throttle.

-- +goose Up
CREATE TABLE members (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Keyed hash of the normalised address: unique, and kept after erasure
    -- so an erased person is never mailed again by mistake.
    email_hash             bytea NOT NULL UNIQUE,
    -- The address itself, sealed (AES-256-GCM); NULL once erased.
    email_sealed           bytea,
    name                   text CHECK (length(name) <= 200),
    organisation           text CHECK (length(organisation) <= 200),
    role_title             text CHECK (length(role_title) <= 200),
    audiences              text[] NOT NULL DEFAULT '{}',
    region                 text CHECK (region IN ('england', 'scotland', 'wales', 'northern-ireland', 'outside-uk')),
    interests              text[] NOT NULL DEFAULT '{}' CHECK (interests <@ ARRAY['surveys', 'listening-events', 'webinars', 'research-opportunities', 'campaigning-news', 'general-news']),
    email_frequency        text NOT NULL DEFAULT 'as-it-happens' CHECK (email_frequency IN ('as-it-happens', 'weekly-digest', 'monthly-digest')),
    status                 text NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'erased')),
    source                 text NOT NULL CHECK (source IN ('site', 'partner', 'import', 'staff')),
    source_key_id          uuid REFERENCES api_keys (id),
    source_organisation_id uuid REFERENCES organisations (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    confirmed_at           timestamptz,
    unsubscribed_at        timestamptz,
    erased_at              timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'erased' OR (email_sealed IS NULL AND name IS NULL AND organisation IS NULL AND role_title IS NULL))
);
CREATE INDEX members_status_created ON members (status, created_at DESC, id);
CREATE INDEX members_interests ON members USING gin (interests);
CREATE INDEX members_audiences ON members USING gin (audiences);
CREATE INDEX members_pending ON members (created_at) WHERE status = 'pending';

-- Special-category data (UK GDPR art. 9): only with its own explicit
-- consent, only for the membership role, always sealed.
CREATE TABLE member_sensitive (
    member_id                  uuid PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    harmed_sealed              bytea,
    experience_sealed          bytea,
    accessibility_needs_sealed bytea,
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE consent_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id     uuid NOT NULL REFERENCES members (id),
    purpose       text NOT NULL,
    granted       boolean NOT NULL,
    text_version  text NOT NULL,
    text_hash     bytea NOT NULL,
    source        text NOT NULL CHECK (source IN ('site', 'partner', 'import', 'staff', 'self-service', 'unsubscribe-link')),
    source_key_id uuid,
    request_id    text,
    occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_member ON consent_events (member_id, id);

-- Append-only. The one exception is the retention purge of signups that
-- were never confirmed (their consent never took effect), which sets
-- hpa.purging_unconfirmed for its transaction.
-- +goose StatementBegin
CREATE FUNCTION consent_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('hpa.purging_unconfirmed', true) = 'on'
       AND EXISTS (SELECT 1 FROM members WHERE id = OLD.member_id AND status = 'pending') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consent_events is append-only';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER consent_events_no_change BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

-- Confirmation and magic-link tokens, stored as SHA-256 hashes.
CREATE TABLE member_tokens (
    token_hash bytea PRIMARY KEY,
    member_id  uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('confirm', 'magic-link')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_tokens_member ON member_tokens (member_id);
CREATE INDEX member_tokens_expiry ON member_tokens (expires_at);

CREATE TABLE member_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id  uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL REFERENCES staff (id),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_notes_member ON member_notes (member_id, id);

-- At most one signup email per address per interval, whoever asks.
CREATE TABLE member_email_throttle (
    email_hash   bytea NOT NULL,
    kind         text NOT NULL,
    last_sent_at timestamptz NOT NULL,
    PRIMARY KEY (email_hash, kind)
);

-- +goose Down
DROP TABLE member_email_throttle, member_notes, member_tokens, consent_events, member_sensitive, members;
DROP FUNCTION consent_events_append_only();
