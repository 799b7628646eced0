-- "Get in touch": enquiries from the public form. They are personal data:
-- staff reads are audited, and a periodic job deletes them once the
-- configured retention period has passed.

-- +goose Up
CREATE TABLE enquiries (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    -- The audience key the person chose, as it was then (audiences change).
    audience      text CHECK (length(audience) <= 60),
    topic         text NOT NULL CHECK (topic IN ('general', 'work-with-us', 'media', 'research', 'other')),
    message       text NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
    reply_consent boolean NOT NULL,
    status        text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'handled')),
    assigned_to   uuid REFERENCES staff (id) ON DELETE SET NULL,
    handled_by    uuid REFERENCES staff (id) ON DELETE SET NULL,
    handled_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enquiries_created ON enquiries (created_at DESC, id DESC);
CREATE INDEX enquiries_open ON enquiries (created_at DESC, id DESC) WHERE status = 'new';

-- Form tokens already used, so one token sends one enquiry. Rows are
-- deleted once the token would have expired anyway.
CREATE TABLE enquiry_form_tokens_used (
    nonce      bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE enquiry_form_tokens_used, enquiries;
