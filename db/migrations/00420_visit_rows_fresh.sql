-- Open days' visit rows kept current: each pass of the fresh rollups
-- (internal/visits/incremental.go) rebuilds the visit rows of the visitors
-- it recounts, in the transaction that moves the day's mark, so an open
-- day's visit rows count exactly the events its rollups count, and
-- filtered queries over a range with today read them instead of numbering
-- today's raw events into visits on every call.

-- +goose Up
-- The snapshot an open day's visit rows count the events of. The day is
-- answered from them while it is the day's mark (seen): a pass by a build
-- that does not keep them moves seen alone, and the day is counted from
-- raw events until a pass rebuilds its visit rows whole. NULL: never kept.
ALTER TABLE visit_rollup_marks ADD COLUMN rows_seen pg_snapshot;

-- +goose Down
ALTER TABLE visit_rollup_marks DROP COLUMN rows_seen;
