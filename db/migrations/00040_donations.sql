-- Donations: what a gift can be designated to (campaigns), donors, Stripe
-- Checkout sessions, the ledger of gifts (online and offline), monthly
-- subscriptions, refunds, the Stripe events already applied, and the
-- nightly reconciliation reports. Money is integer pence, GBP only.

-- +goose Up
CREATE TABLE campaigns (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 60),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    target_pence bigint CHECK (target_pence > 0),
    active       boolean NOT NULL DEFAULT true,
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO campaigns (slug, name, description, position) VALUES
    ('general', 'Where it is needed most', 'Lets HPA put your gift where it does the most good.', 0),
    ('website', 'Our website', 'Keeps the website and its resources for harmed patients and families online.', 1),
    ('webinars', 'Webinars', 'Pays for webinars where patients, families and professionals learn together.', 2),
    ('campaigning', 'Campaigning', 'Funds campaigning for restorative healing after healthcare harm.', 3);

-- A donor is whoever paid: found by Stripe customer or email. member_id
-- links a donor to a member record; erasing a member keeps the financial
-- record (members are marked erased, never deleted; were one deleted, the
-- link would go, not the gifts).
CREATE TABLE donors (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email              text CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name               text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    stripe_customer_id text UNIQUE CHECK (length(stripe_customer_id) <= 255),
    member_id          uuid REFERENCES members (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX donors_email_key ON donors (email);
CREATE INDEX donors_member ON donors (member_id) WHERE member_id IS NOT NULL;

-- One Stripe Checkout Session we created. gift_aid_sealed holds the
-- donor's Gift Aid declaration (AES-GCM, see internal/sealed) until the
-- payment succeeds and it becomes a declaration; it is dropped when the
-- session fails or expires.
CREATE TABLE donation_checkouts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    stripe_session_id text UNIQUE,
    frequency         text NOT NULL CHECK (frequency IN ('one_off', 'monthly')),
    amount_pence      bigint NOT NULL CHECK (amount_pence > 0),
    currency          text NOT NULL DEFAULT 'GBP' CHECK (currency = 'GBP'),
    campaign_id       uuid NOT NULL REFERENCES campaigns (id),
    member_id         uuid REFERENCES members (id) ON DELETE SET NULL,
    gift_aid_key_id   text,
    gift_aid_sealed   bytea,
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'failed', 'expired')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    CHECK ((gift_aid_sealed IS NULL) = (gift_aid_key_id IS NULL))
);
CREATE INDEX donation_checkouts_open ON donation_checkouts (created_at) WHERE status = 'open';

CREATE TABLE donation_subscriptions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    stripe_subscription_id text NOT NULL UNIQUE,
    donor_id               uuid REFERENCES donors (id),
    checkout_id            uuid REFERENCES donation_checkouts (id),
    campaign_id            uuid NOT NULL REFERENCES campaigns (id),
    amount_pence           bigint NOT NULL CHECK (amount_pence >= 0),
    status                 text NOT NULL CHECK (length(status) <= 40),
    cancel_at_period_end   boolean NOT NULL DEFAULT false,
    current_period_end     timestamptz,
    canceled_at            timestamptz,
    -- Stripe's creation time of the last event applied: an older event
    -- arriving late never overwrites a newer state.
    last_event_at          timestamptz NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX donation_subscriptions_donor ON donation_subscriptions (donor_id);

-- The ledger: one row per successful payment (online) or gift received
-- (offline). The unique Stripe keys make a second row for the same payment
-- impossible, whichever events announce it.
CREATE TABLE donations (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    donor_id                 uuid REFERENCES donors (id),
    campaign_id              uuid NOT NULL REFERENCES campaigns (id),
    amount_pence             bigint NOT NULL CHECK (amount_pence > 0),
    currency                 text NOT NULL DEFAULT 'GBP' CHECK (currency = 'GBP'),
    fee_pence                bigint CHECK (fee_pence >= 0),
    refunded_pence           bigint NOT NULL DEFAULT 0 CHECK (refunded_pence >= 0 AND refunded_pence <= amount_pence),
    channel                  text NOT NULL CHECK (channel IN ('online', 'offline')),
    method                   text NOT NULL CHECK (method IN ('card', 'bacs_debit', 'stripe', 'cheque', 'bank_transfer', 'cash')),
    frequency                text NOT NULL CHECK (frequency IN ('one_off', 'monthly')),
    status                   text NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'partially_refunded', 'refunded', 'disputed')),
    dispute_status           text CHECK (length(dispute_status) <= 40),
    stripe_payment_intent_id text UNIQUE,
    stripe_invoice_id        text UNIQUE,
    stripe_charge_id         text UNIQUE,
    stripe_session_id        text,
    subscription_id          uuid REFERENCES donation_subscriptions (id),
    checkout_id              uuid REFERENCES donation_checkouts (id),
    gift_aid_declaration_id  uuid,
    gift_aid_claim_id        uuid,
    reference                text NOT NULL DEFAULT '' CHECK (length(reference) <= 200),
    paid_at                  timestamptz NOT NULL,
    recorded_by              uuid,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (channel = 'offline' OR stripe_payment_intent_id IS NOT NULL OR stripe_invoice_id IS NOT NULL)
);
CREATE INDEX donations_paid_at ON donations (paid_at, id);
CREATE INDEX donations_donor ON donations (donor_id, paid_at);
CREATE INDEX donations_campaign ON donations (campaign_id, paid_at);
CREATE INDEX donations_subscription ON donations (subscription_id);

CREATE TABLE donation_refunds (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    donation_id      uuid NOT NULL REFERENCES donations (id),
    stripe_refund_id text UNIQUE,
    amount_pence     bigint NOT NULL CHECK (amount_pence > 0),
    reason           text NOT NULL CHECK (reason IN ('requested_by_customer', 'duplicate', 'fraudulent', 'other')),
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX donation_refunds_donation ON donation_refunds (donation_id);

-- Every Stripe event applied, stored in the same transaction as its
-- effect, so a redelivery is recognised and ignored. An event about a
-- payment the ledger does not have yet (delivered out of order) waits,
-- payload kept, until that payment arrives.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    created     timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL CHECK (status IN ('processed', 'ignored', 'deferred')),
    awaiting    text,
    payload     jsonb,
    CHECK ((status = 'deferred') = (awaiting IS NOT NULL))
);
CREATE INDEX stripe_events_awaiting ON stripe_events (awaiting) WHERE status = 'deferred';

CREATE TABLE reconciliation_reports (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    period_start       timestamptz NOT NULL,
    period_end         timestamptz NOT NULL CHECK (period_end > period_start),
    trigger            text NOT NULL CHECK (trigger IN ('schedule', 'staff')),
    stripe_count       integer NOT NULL,
    stripe_total_pence bigint NOT NULL,
    ledger_count       integer NOT NULL,
    ledger_total_pence bigint NOT NULL,
    differences        jsonb NOT NULL DEFAULT '[]',
    difference_count   integer NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_reports_created ON reconciliation_reports (created_at DESC, id DESC);

-- +goose Down
DROP TABLE reconciliation_reports;
DROP TABLE stripe_events;
DROP TABLE donation_refunds;
DROP TABLE donations;
DROP TABLE donation_subscriptions;
DROP TABLE donation_checkouts;
DROP TABLE donors;
DROP TABLE campaigns;
