-- Visit history brought in from other tools (GoatCounter, Plausible, a
-- plain daily CSV): one row per file imported, and its figures as daily
-- aggregates per dimension, kept apart from the native rollups so reports
-- add them only when asked and deleting an import removes exactly its data.

-- +goose Up
-- status: running while the file is read (progress in bytes_read and
-- rows_read), then completed, rejected (bad rows: nothing applied, the
-- rows in problems), duplicate (the same file, by SHA-256, was imported
-- already: duplicate_of), failed (the upload broke off) or deleted.
CREATE TABLE visit_imports (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    format         text NOT NULL CHECK (format IN ('goatcounter', 'plausible', 'csv')),
    status         text NOT NULL CHECK (status IN ('running', 'completed', 'rejected', 'duplicate', 'failed', 'deleted')),
    file_sha256    bytea CHECK (length(file_sha256) = 32),
    duplicate_of   uuid REFERENCES visit_imports (id) ON DELETE SET NULL,
    -- Whether the file's visits on days before native counting began are
    -- missing from the counter's historic baseline (see visit counter).
    add_to_counter boolean NOT NULL DEFAULT false,
    bytes_total    bigint CHECK (bytes_total >= 0),
    bytes_read     bigint NOT NULL DEFAULT 0,
    rows_read      bigint NOT NULL DEFAULT 0,
    rows_imported  bigint NOT NULL DEFAULT 0,
    rows_skipped   bigint NOT NULL DEFAULT 0,
    rows_rejected  bigint NOT NULL DEFAULT 0,
    first_day      date,
    last_day       date,
    visits         bigint NOT NULL DEFAULT 0,
    pageviews      bigint NOT NULL DEFAULT 0,
    problems       jsonb NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
-- A file is imported once: a second upload of it finds the first here.
CREATE UNIQUE INDEX visit_imports_file ON visit_imports (file_sha256) WHERE status = 'completed';
CREATE INDEX visit_imports_created ON visit_imports (created_at DESC);

-- Imported figures, as visit_rollups_daily holds native ones: dimension
-- '' with value '' is the day's totals.
CREATE TABLE visit_imported_daily (
    import_id  uuid NOT NULL REFERENCES visit_imports (id) ON DELETE CASCADE,
    day        date NOT NULL,
    dimension  text NOT NULL,
    -- Byte order, as in the rollups.
    value      text COLLATE "C" NOT NULL CHECK (length(value) <= 1000),
    visitors   bigint NOT NULL CHECK (visitors >= 0),
    visits     bigint NOT NULL CHECK (visits >= 0),
    pageviews  bigint NOT NULL CHECK (pageviews >= 0),
    events     bigint NOT NULL CHECK (events >= 0),
    bounces    bigint NOT NULL CHECK (bounces >= 0),
    duration   bigint NOT NULL CHECK (duration >= 0),
    PRIMARY KEY (import_id, dimension, day, value)
);
CREATE INDEX visit_imported_daily_reads ON visit_imported_daily (dimension, day);

-- +goose Down
DROP TABLE visit_imported_daily;
DROP TABLE visit_imports;
