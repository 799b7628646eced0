-- The organisation's public profile, served by GET /v1/site, and the
-- notification that keeps every API process's content cache fresh.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION notify_content_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Any change to public content, by the API or by hand in psql, tells
    -- every listening API process to drop its cached copy.
    PERFORM pg_notify('hpa_content_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TABLE site_profile (
    -- A single row: the constraint makes a second one impossible.
    id                boolean PRIMARY KEY DEFAULT true CHECK (id),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    short_name        text NOT NULL CHECK (length(short_name) BETWEEN 1 AND 40),
    tagline           text NOT NULL CHECK (length(tagline) <= 300),
    mission_statement text NOT NULL CHECK (length(mission_statement) <= 2000),
    description       text NOT NULL CHECK (length(description) <= 4000),
    contact_email     text CHECK (length(contact_email) <= 254),
    charity_number    text CHECK (length(charity_number) <= 40),
    registered_in     text CHECK (length(registered_in) <= 100),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER site_profile_changed
    AFTER INSERT OR UPDATE OR DELETE ON site_profile
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();

-- +goose Down
DROP TABLE site_profile;
DROP FUNCTION notify_content_changed();
