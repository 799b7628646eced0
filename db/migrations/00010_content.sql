-- Mission content: pages with their revisions, the audiences HPA speaks
-- to, calls to action, navigation menus, the structured parts of the site
-- profile, and the record of which seed items were ever loaded.

-- +goose Up
ALTER TABLE site_profile
    ADD COLUMN restorative_questions text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(restorative_questions) <= 10),
    -- The paragraph that speaks to every audience at once.
    ADD COLUMN audiences_intro text NOT NULL DEFAULT '' CHECK (length(audiences_intro) <= 4000);

-- Full-text search over pages (English), title weighted above summary
-- above body. Searches must use this function to use the index.
-- +goose StatementBegin
CREATE FUNCTION page_search_vector(title text, summary text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, title), 'A') ||
           setweight(to_tsvector('english'::regconfig, summary), 'B') ||
           setweight(to_tsvector('english'::regconfig, body), 'C')
$$;
-- +goose StatementEnd

CREATE TABLE pages (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug             text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary          text NOT NULL DEFAULT '' CHECK (length(summary) <= 1000),
    -- What the editor wrote, kept exactly; the three columns after it are
    -- derived from it at save time (sanitised HTML, plain text for search,
    -- the headings with their anchors).
    body_markdown    text NOT NULL DEFAULT '' CHECK (length(body_markdown) <= 100000),
    body_html        text NOT NULL DEFAULT '',
    body_text        text NOT NULL DEFAULT '',
    headings         jsonb NOT NULL DEFAULT '[]',
    meta_description text NOT NULL DEFAULT '' CHECK (length(meta_description) <= 300),
    social_image_url text CHECK (length(social_image_url) <= 2000),
    -- A page is public while status is scheduled or published and
    -- publish_at has passed: scheduled pages need no job to go live.
    status           text NOT NULL CHECK (status IN ('draft', 'scheduled', 'published', 'archived')),
    publish_at       timestamptz,
    author_id        uuid REFERENCES staff (id) ON DELETE SET NULL,
    updated_by       uuid REFERENCES staff (id) ON DELETE SET NULL,
    -- Optimistic concurrency: every save increments it (and adds a revision).
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (status IN ('draft', 'archived') OR publish_at IS NOT NULL)
);
CREATE UNIQUE INDEX pages_slug_key ON pages (slug);
CREATE INDEX pages_public ON pages (publish_at DESC, id DESC) WHERE status IN ('scheduled', 'published');
CREATE INDEX pages_search ON pages USING gin (page_search_vector(title, summary, body_text));

-- Every save of a page, in full: who, when, what changed.
CREATE TABLE page_revisions (
    page_id          uuid NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    number           integer NOT NULL CHECK (number > 0),
    slug             text NOT NULL,
    title            text NOT NULL,
    summary          text NOT NULL,
    body_markdown    text NOT NULL,
    meta_description text NOT NULL,
    social_image_url text,
    status           text NOT NULL,
    publish_at       timestamptz,
    changed_fields   text[] NOT NULL,
    restored_from    integer,
    created_by       uuid REFERENCES staff (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (page_id, number)
);

CREATE TABLE audiences (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key        text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(key) <= 60),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    message    text NOT NULL DEFAULT '' CHECK (length(message) <= 1000),
    page_id    uuid REFERENCES pages (id) ON DELETE SET NULL,
    position   integer NOT NULL DEFAULT 0,
    version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Join, donate, get in touch: ordered, each pointing at a page or a URL.
-- A page something links to cannot be deleted (archive it instead).
CREATE TABLE calls_to_action (
    key          text PRIMARY KEY CHECK (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(key) <= 60),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    text         text NOT NULL CHECK (length(text) <= 2000),
    button_label text NOT NULL CHECK (length(button_label) BETWEEN 1 AND 60),
    page_id      uuid REFERENCES pages (id) ON DELETE RESTRICT,
    url          text CHECK (length(url) <= 2000),
    position     integer NOT NULL,
    CHECK (page_id IS NULL OR url IS NULL)
);

CREATE TABLE navigation_items (
    menu     text NOT NULL CHECK (menu IN ('header', 'footer')),
    position integer NOT NULL,
    label    text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    page_id  uuid REFERENCES pages (id) ON DELETE RESTRICT,
    url      text CHECK (length(url) <= 2000),
    PRIMARY KEY (menu, position),
    CHECK ((page_id IS NULL) <> (url IS NULL))
);

-- Seed items ever loaded, by key: an item an editor deleted or changed is
-- never loaded again.
CREATE TABLE content_seed (
    key       text PRIMARY KEY,
    seeded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER pages_changed
    AFTER INSERT OR UPDATE OR DELETE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER audiences_changed
    AFTER INSERT OR UPDATE OR DELETE ON audiences
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER calls_to_action_changed
    AFTER INSERT OR UPDATE OR DELETE ON calls_to_action
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER navigation_items_changed
    AFTER INSERT OR UPDATE OR DELETE ON navigation_items
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();

-- +goose Down
DROP TABLE content_seed, navigation_items, calls_to_action, audiences, page_revisions, pages;
DROP FUNCTION page_search_vector(text, text, text);
ALTER TABLE site_profile DROP COLUMN restorative_questions, DROP COLUMN audiences_intro;
