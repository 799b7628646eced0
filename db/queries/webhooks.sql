-- name: WebhookEndpointInsert :one
INSERT INTO webhook_endpoints (id, organisation_id, url, description, events, enabled, disabled_reason, secret_sealed)
VALUES (@id, sqlc.narg(organisation_id), @url, @description, @events, @enabled, sqlc.narg(disabled_reason), @secret_sealed)
RETURNING *;

-- name: WebhookEndpointGet :one
SELECT * FROM webhook_endpoints WHERE id = @id;

-- name: WebhookEndpointList :many
-- An organisation's endpoints (every one when every is set), oldest first.
SELECT * FROM webhook_endpoints
WHERE @every::boolean OR organisation_id IS NOT DISTINCT FROM sqlc.narg(organisation_id)
ORDER BY created_at, id;

-- name: WebhookEndpointUpdate :one
UPDATE webhook_endpoints SET url = @url, description = @description, events = @events, enabled = @enabled,
    disabled_reason = sqlc.narg(disabled_reason),
    failing_since = CASE WHEN @enabled::boolean AND NOT enabled THEN NULL ELSE failing_since END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: WebhookEndpointRotate :one
UPDATE webhook_endpoints SET previous_secret_sealed = @previous_secret_sealed, previous_secret_expires_at = sqlc.narg(previous_secret_expires_at),
    secret_sealed = @secret_sealed, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: WebhookEndpointDelete :execrows
DELETE FROM webhook_endpoints WHERE id = @id;

-- name: WebhookEndpointHealth :exec
-- After a batch of attempts: a success ends a failing spell, failures
-- alone start one (or continue it).
UPDATE webhook_endpoints SET failing_since = CASE WHEN @succeeded::boolean THEN NULL ELSE coalesce(failing_since, @now) END
WHERE id = @id AND (@succeeded::boolean OR failing_since IS NULL);

-- name: WebhookEndpointDisableFailing :one
-- Disables an endpoint that has failed without a single success since
-- @since (when the delivery that just ran out of retries was made).
UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'failing', updated_at = now()
WHERE id = @id AND enabled AND failing_since IS NOT NULL AND failing_since <= @since
RETURNING *;

-- name: WebhookEventInsert :one
-- Stores an event only if some enabled endpoint will receive it: nothing
-- about a person is kept for nobody.
INSERT INTO webhook_events (id, type, organisation_id, endpoint_id, payload_sealed, person_hash)
SELECT @id, @type, sqlc.narg(organisation_id), sqlc.narg(endpoint_id), @payload_sealed, sqlc.narg(person_hash)
WHERE EXISTS (
    SELECT 1 FROM webhook_endpoints p
    WHERE p.enabled AND (p.id = sqlc.narg(endpoint_id)
        OR (sqlc.narg(endpoint_id)::uuid IS NULL AND p.organisation_id IS NOT DISTINCT FROM sqlc.narg(organisation_id) AND @type::text = ANY (p.events))))
RETURNING id;

-- name: WebhookDeliveriesCreate :many
-- One delivery per enabled endpoint that receives the event.
INSERT INTO webhook_deliveries (event_id, endpoint_id)
SELECT e.id, p.id FROM webhook_events e
JOIN webhook_endpoints p ON p.enabled AND (p.id = e.endpoint_id
    OR (e.endpoint_id IS NULL AND p.organisation_id IS NOT DISTINCT FROM e.organisation_id AND e.type = ANY (p.events)))
WHERE e.id = @event_id AND e.payload_sealed IS NOT NULL
ON CONFLICT (event_id, endpoint_id) DO NOTHING
RETURNING webhook_deliveries.endpoint_id;

-- name: WebhookEventsCancelForPerson :execrows
-- Wipes the undelivered events about a person (for one organisation, or
-- all) and cancels their deliveries.
WITH wiped AS (
    UPDATE webhook_events SET payload_sealed = NULL
    WHERE person_hash = @person_hash AND payload_sealed IS NOT NULL
      AND (sqlc.narg(organisation_id)::uuid IS NULL OR organisation_id = sqlc.narg(organisation_id))
    RETURNING id
)
UPDATE webhook_deliveries d SET status = 'cancelled', last_error = 'cancelled: the person withdrew consent or asked to be erased'
FROM wiped WHERE d.event_id = wiped.id AND d.status = 'pending';

-- name: WebhookDeliveriesClaim :many
-- Takes up to @batch due deliveries of an endpoint for @lease_until: if
-- the process dies they fall due again then.
UPDATE webhook_deliveries d SET next_attempt_at = @lease_until
FROM webhook_events e
WHERE d.id IN (
    SELECT q.id FROM webhook_deliveries q
    WHERE q.endpoint_id = @endpoint_id AND q.status = 'pending' AND q.next_attempt_at <= @now
    ORDER BY q.next_attempt_at, q.id LIMIT @batch FOR UPDATE SKIP LOCKED)
  AND e.id = d.event_id
RETURNING d.id, d.event_id, d.attempts, d.step, d.created_at, e.type, e.payload_sealed;

-- name: WebhookDeliveriesRelease :exec
-- Makes claimed deliveries due again (a pump stopping mid-batch).
UPDATE webhook_deliveries SET next_attempt_at = @now WHERE id = ANY (@ids::bigint[]) AND status = 'pending';

-- name: WebhookDeliveriesRecord :exec
-- Records a batch of attempts: each delivery's new state and a row in its
-- attempt log.
WITH r AS (
    SELECT (@ids::bigint[])[i] AS id, (@statuses::text[])[i] AS status, (@steps::integer[])[i] AS step,
           (@next_attempts::timestamptz[])[i] AS next_attempt_at, (@attempted::timestamptz[])[i] AS attempted_at,
           nullif((@response_statuses::integer[])[i], 0) AS response_status, (@latencies::integer[])[i] AS latency_ms,
           nullif((@errors::text[])[i], '') AS error
    FROM generate_series(1, cardinality(@ids::bigint[])) AS i
), u AS (
    UPDATE webhook_deliveries d SET status = r.status, attempts = d.attempts + 1, step = r.step, next_attempt_at = r.next_attempt_at,
        last_attempt_at = r.attempted_at, last_status = r.response_status, last_latency_ms = r.latency_ms, last_error = r.error,
        succeeded_at = CASE WHEN r.status = 'succeeded' THEN r.attempted_at END
    FROM r WHERE d.id = r.id AND d.status = 'pending'
    RETURNING d.id, d.attempts
)
INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, response_status, latency_ms, error)
SELECT u.id, u.attempts, r.attempted_at, r.response_status, r.latency_ms, r.error FROM u JOIN r ON r.id = u.id;

-- name: WebhookDeliveriesCancel :exec
UPDATE webhook_deliveries SET status = 'cancelled', last_error = @reason WHERE id = ANY (@ids::bigint[]) AND status = 'pending';

-- name: WebhookDeliveryNextDue :one
SELECT next_attempt_at FROM webhook_deliveries WHERE endpoint_id = @endpoint_id AND status = 'pending'
ORDER BY next_attempt_at LIMIT 1;

-- name: WebhookEndpointsDue :many
-- Endpoints with deliveries due, for the sweeper.
SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id
WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND p.enabled;

-- name: WebhookDeliveryList :many
SELECT d.*, e.type AS event_type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
WHERE d.endpoint_id = @endpoint_id
  AND (sqlc.narg(status)::text IS NULL OR d.status = sqlc.narg(status))
  AND (sqlc.narg(before_id)::bigint IS NULL OR d.id < sqlc.narg(before_id))
ORDER BY d.id DESC
LIMIT @page_size;

-- name: WebhookDeliveryGet :one
SELECT d.*, e.type AS event_type FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
WHERE d.id = @id AND d.endpoint_id = @endpoint_id;

-- name: WebhookAttemptList :many
SELECT * FROM webhook_attempts WHERE delivery_id = @delivery_id ORDER BY attempt;

-- name: WebhookDeliveryRestart :one
-- Manual redelivery: the delivery starts a fresh round of retries now.
UPDATE webhook_deliveries d SET status = 'pending', step = 0, next_attempt_at = @now, succeeded_at = NULL
FROM webhook_events e
WHERE d.id = @id AND d.endpoint_id = @endpoint_id AND e.id = d.event_id AND e.payload_sealed IS NOT NULL AND d.status <> 'pending'
RETURNING d.id;

-- name: WebhookEventsWipe :execrows
-- Retention: payloads go after @payloads_before, events and their
-- delivery log after @events_before.
WITH wiped AS (
    UPDATE webhook_events w SET payload_sealed = NULL WHERE w.payload_sealed IS NOT NULL AND w.created_at < @payloads_before RETURNING w.id
), cancelled AS (
    UPDATE webhook_deliveries d SET status = 'cancelled', last_error = 'expired' FROM wiped WHERE d.event_id = wiped.id AND d.status = 'pending'
)
DELETE FROM webhook_events e WHERE e.created_at < @events_before;
