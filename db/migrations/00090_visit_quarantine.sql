-- Visit events PostgreSQL refused to store, set aside so that one bad event
-- cannot hold up the events behind it.

-- +goose Up
-- The writer puts here each event a COPY refused with a data error (SQLSTATE
-- class 22 or 23, such as text holding a NUL), found by splitting its batch,
-- for staff to see what got past validation and why. event is the row as
-- JSON text: text, not jsonb, which refuses \u0000, often the very reason.
-- It never holds the visitor ID. Rows are deleted after 30 days.
CREATE TABLE visit_events_quarantine (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    sqlstate       text NOT NULL,
    reason         text NOT NULL,
    event          text NOT NULL
);
CREATE INDEX visit_events_quarantine_at ON visit_events_quarantine (quarantined_at);

-- +goose Down
DROP TABLE visit_events_quarantine;
