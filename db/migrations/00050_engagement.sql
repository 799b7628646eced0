-- Engagement: research opportunities, surveys, listening events and
-- webinars; registrations with capacity and waiting lists; alerts to
-- members who asked for them; and what organisers learned.

-- +goose Up
CREATE TABLE opportunities (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('survey', 'listening-event', 'research-study', 'webinar', 'consultation', 'other')),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary          text NOT NULL CHECK (length(summary) BETWEEN 1 AND 1000),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 50000),
    description_html text NOT NULL DEFAULT '',
    organiser_name   text NOT NULL CHECK (length(organiser_name) BETWEEN 1 AND 200),
    -- The partner organisation that owns it; NULL for HPA's own.
    organisation_id  uuid REFERENCES organisations (id),
    audiences        text[] NOT NULL DEFAULT '{}',
    online           boolean NOT NULL DEFAULT false,
    location         text CHECK (length(location) <= 500),
    starts_at        timestamptz,
    ends_at          timestamptz,
    closes_at        timestamptz,
    time_zone        text NOT NULL DEFAULT 'Europe/London',
    capacity         integer CHECK (capacity > 0),
    external_url     text CHECK (length(external_url) <= 2000),
    ethics_reference text CHECK (length(ethics_reference) <= 200),
    contact_name     text CHECK (length(contact_name) <= 200),
    contact_email    text CHECK (length(contact_email) <= 254),
    -- The HPA staff member looking after it: may see attendees' access needs.
    hpa_contact_id   uuid REFERENCES staff (id),
    status           text NOT NULL CHECK (status IN ('submitted', 'changes-requested', 'approved', 'published', 'closed', 'rejected')),
    review_note      text CHECK (length(review_note) <= 2000),
    submitted_by_key uuid REFERENCES api_keys (id),
    created_by       uuid REFERENCES staff (id),
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'research-study' OR ethics_reference IS NOT NULL),
    CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX opportunities_published ON opportunities (published_at DESC, id) WHERE status = 'published';
CREATE INDEX opportunities_status ON opportunities (status, created_at);
CREATE INDEX opportunities_organisation ON opportunities (organisation_id, created_at DESC);

CREATE TABLE registrations (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    opportunity_id       uuid NOT NULL REFERENCES opportunities (id),
    member_id            uuid REFERENCES members (id) ON DELETE SET NULL,
    email_hash           bytea NOT NULL,
    email_sealed         bytea,
    name                 text CHECK (length(name) <= 200),
    status               text NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    -- Special category: sealed, for the membership role and the HPA contact.
    accessibility_sealed bytea,
    share_with_organiser boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    promoted_at          timestamptz,
    cancelled_at         timestamptz,
    reminded_at          timestamptz
);
CREATE UNIQUE INDEX registrations_once ON registrations (opportunity_id, email_hash) WHERE status <> 'cancelled';
CREATE INDEX registrations_opportunity ON registrations (opportunity_id, status, created_at);
CREATE INDEX registrations_member ON registrations (member_id);

-- One row per member per published opportunity: the guarantee that nobody
-- is alerted twice.
CREATE TABLE opportunity_alerts (
    opportunity_id uuid NOT NULL REFERENCES opportunities (id),
    member_id      uuid NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state          text NOT NULL CHECK (state IN ('pending', 'sent', 'digest', 'digested', 'skipped')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    PRIMARY KEY (opportunity_id, member_id)
);
CREATE INDEX opportunity_alerts_member ON opportunity_alerts (member_id, sent_at);
CREATE INDEX opportunity_alerts_digest ON opportunity_alerts (member_id) WHERE state = 'digest';

CREATE TABLE alert_sends (
    opportunity_id uuid PRIMARY KEY REFERENCES opportunities (id),
    state          text NOT NULL CHECK (state IN ('running', 'paused')),
    matched        integer NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE opportunity_outcomes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    opportunity_id uuid NOT NULL REFERENCES opportunities (id),
    summary        text NOT NULL CHECK (length(summary) BETWEEN 1 AND 5000),
    link           text CHECK (length(link) <= 2000),
    published_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opportunity_outcomes_opportunity ON opportunity_outcomes (opportunity_id, id);

-- +goose Down
DROP TABLE opportunity_outcomes, alert_sends, opportunity_alerts, registrations, opportunities;
