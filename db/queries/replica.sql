-- name: ReplicaLagSeconds :one
-- How far a read replica's data is behind the primary, in seconds: 0 when
-- it has replayed everything it received (an idle primary sends nothing,
-- and the time of the last replayed transaction says nothing then), and 0
-- on a primary.
SELECT (CASE WHEN NOT pg_is_in_recovery() THEN 0
             WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
             ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
        END)::float8 AS lag_seconds;
