-- name: RateLimitHit :one
-- Counts n hits for bucket in the window ending at window_ends_at, starting
-- afresh if the row holds an older window. An instance whose clock is a
-- little behind counts into the newer window another instance started.
INSERT INTO rate_limit_hits AS r (bucket, window_ends_at, hits)
VALUES (@bucket, sqlc.arg(window_ends_at)::timestamptz, sqlc.arg(n)::integer)
ON CONFLICT (bucket) DO UPDATE SET
    hits           = CASE WHEN r.window_ends_at >= excluded.window_ends_at THEN r.hits + excluded.hits ELSE excluded.hits END,
    window_ends_at = greatest(r.window_ends_at, excluded.window_ends_at)
RETURNING hits, window_ends_at;

-- name: RateLimitHitMany :many
-- RateLimitHit for many buckets at once (each at most once), locking them
-- in bucket order so that concurrent writers cannot deadlock.
INSERT INTO rate_limit_hits AS r (bucket, window_ends_at, hits)
SELECT b.bucket, b.window_ends_at, b.n
FROM (SELECT unnest(@buckets::bytea[]) AS bucket, unnest(@window_ends::timestamptz[]) AS window_ends_at,
             unnest(@ns::integer[]) AS n) b
ORDER BY b.bucket
ON CONFLICT (bucket) DO UPDATE SET
    hits           = CASE WHEN r.window_ends_at >= excluded.window_ends_at THEN r.hits + excluded.hits ELSE excluded.hits END,
    window_ends_at = greatest(r.window_ends_at, excluded.window_ends_at)
RETURNING bucket, hits;

-- name: RateLimitRefund :exec
-- Gives back one hit, if its window is still the current one.
UPDATE rate_limit_hits SET hits = hits - 1
WHERE bucket = @bucket AND window_ends_at = sqlc.arg(window_ends_at)::timestamptz AND hits > 0;

-- name: RateLimitDeleteBefore :execrows
DELETE FROM rate_limit_hits WHERE window_ends_at < @before;
