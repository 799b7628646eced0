-- name: VisitFunnelLock :exec
-- Taken before saving a funnel, so that counting the funnels and adding
-- one are a single step: concurrent saves never pass the bound.
LOCK TABLE visit_funnels IN SHARE ROW EXCLUSIVE MODE;

-- name: VisitFunnelInsert :one
-- Inserts nothing when the name is taken or the site already has
-- @max_funnels funnels (VisitFunnelCount tells which).
INSERT INTO visit_funnels (name, steps)
SELECT @name::text, @steps::jsonb
WHERE (SELECT count(*) FROM visit_funnels) < @max_funnels::int
ON CONFLICT (name) DO NOTHING
RETURNING id, name, steps, created_at, updated_at;

-- name: VisitFunnelCount :one
SELECT count(*)::int AS n FROM visit_funnels;

-- name: VisitFunnelList :many
SELECT id, name, steps, created_at, updated_at FROM visit_funnels ORDER BY name;

-- name: VisitFunnelGet :one
SELECT id, name, steps, created_at, updated_at FROM visit_funnels WHERE id = @id;

-- name: VisitFunnelUpdate :one
-- A name another funnel has is a unique violation (visit_funnels_name_key).
UPDATE visit_funnels SET name = @name, steps = @steps::jsonb, updated_at = now()
WHERE id = @id
RETURNING id, name, steps, created_at, updated_at;

-- name: VisitFunnelDelete :execrows
DELETE FROM visit_funnels WHERE id = @id;

-- name: VisitShareFunnelAdd :execrows
-- Adds nothing for a funnel that does not exist (the caller refuses it).
INSERT INTO visit_share_funnels (share_id, funnel_id)
SELECT @share_id, id FROM visit_funnels WHERE id = @funnel_id;

-- name: VisitShareFunnelList :many
-- Every shared link's saved funnels, by the funnels' names.
SELECT s.share_id, f.id, f.name, f.steps, f.created_at, f.updated_at
FROM visit_share_funnels s JOIN visit_funnels f ON f.id = s.funnel_id
ORDER BY f.name;

-- name: VisitShareFunnelIncluded :one
SELECT EXISTS (
    SELECT 1 FROM visit_share_funnels WHERE share_id = @share_id AND funnel_id = @funnel_id
)::boolean AS included;
