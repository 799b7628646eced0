-- name: SiteProfileGet :one
SELECT * FROM site_profile WHERE id;

-- name: SiteProfileInsertIfMissing :execrows
-- Seeding only fills an empty table, so an editor's later changes survive.
INSERT INTO site_profile (name, short_name, tagline, mission_statement, description, contact_email)
VALUES (@name, @short_name, @tagline, @mission_statement, @description, sqlc.narg(contact_email))
ON CONFLICT (id) DO NOTHING;

-- name: SiteProfileGetForUpdate :one
SELECT * FROM site_profile WHERE id FOR UPDATE;

-- name: SiteProfileUpdate :one
-- Only the fields given change.
UPDATE site_profile SET
    name                  = coalesce(sqlc.narg(name), name),
    short_name            = coalesce(sqlc.narg(short_name), short_name),
    tagline               = coalesce(sqlc.narg(tagline), tagline),
    mission_statement     = coalesce(sqlc.narg(mission_statement), mission_statement),
    description           = coalesce(sqlc.narg(description), description),
    restorative_questions = coalesce(sqlc.narg(restorative_questions)::text[], restorative_questions),
    audiences_intro       = coalesce(sqlc.narg(audiences_intro), audiences_intro),
    contact_email         = CASE WHEN sqlc.arg(set_contact_email)::boolean THEN sqlc.narg(contact_email) ELSE contact_email END,
    charity_number        = CASE WHEN sqlc.arg(set_charity_number)::boolean THEN sqlc.narg(charity_number) ELSE charity_number END,
    registered_in         = CASE WHEN sqlc.arg(set_registered_in)::boolean THEN sqlc.narg(registered_in) ELSE registered_in END,
    updated_at            = now()
WHERE id
RETURNING *;

-- name: SiteProfileSeedMission :execrows
-- Fills the structured mission fields added after the first release, only
-- where nobody has written them yet.
UPDATE site_profile SET
    restorative_questions = CASE WHEN cardinality(restorative_questions) = 0 THEN @restorative_questions::text[] ELSE restorative_questions END,
    audiences_intro       = CASE WHEN audiences_intro = '' THEN @audiences_intro ELSE audiences_intro END
WHERE id AND (cardinality(restorative_questions) = 0 OR audiences_intro = '');
