-- The custom property names a site has admitted: at most
-- HPA_VISITS_MAX_PROP_KEYS of them. The writer admits new names while
-- there is room and drops properties with names beyond the bound, so a
-- sender putting something unique in property names cannot grow the
-- dimensions without end.

-- +goose Up
CREATE TABLE visit_prop_keys (
    key        text COLLATE "C" PRIMARY KEY,
    first_seen timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE visit_prop_keys;
