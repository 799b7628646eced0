-- name: JobTableVacuum :exec
-- Makes the space of the job rows River's cleaner deleted reusable, so the
-- table stays the size of its live rows on a server without autovacuum
-- (or whose autovacuum falls behind a burst). Never inside a transaction.
VACUUM (ANALYZE) river_job, member_signup_requests;
