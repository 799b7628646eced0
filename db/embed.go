// Package db embeds the schema migrations, the sqlc query sources' schema and
// the charity's seed text into the binary, so `hpa migrate` and `hpa seed`
// need nothing on disk.
package db

import "embed"

// Migrations holds the goose SQL migrations, in migrations/.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// SiteText is the charity's own site text, the seed for a fresh install.
//
//go:embed seed/hpa-site.txt
var SiteText string
