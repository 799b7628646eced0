-- name: SiteProfileGet :one
SELECT * FROM site_profile WHERE id;

-- name: SiteProfileInsertIfMissing :execrows
-- Seeding only fills an empty table, so an editor's later changes survive.
INSERT INTO site_profile (name, short_name, tagline, mission_statement, description, contact_email)
VALUES (@name, @short_name, @tagline, @mission_statement, @description, sqlc.narg(contact_email))
ON CONFLICT (id) DO NOTHING;
