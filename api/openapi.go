package api

import (
	"github.com/danielgtaylor/huma/v2"
)

// Security scheme names, referenced by access policies.
const (
	schemeStaff  = "staffBearer"
	schemeMember = "memberBearer"
	schemeAPIKey = "apiKey"
)

const apiDescription = `The Harmed Patients Alliance (HPA) works for restorative healing after
healthcare harm. This API serves HPA's public site content, membership,
donations and privacy-first visit statistics to the charity's website,
to partner organisations and to scripts.

## Conventions

- JSON everywhere, UTF-8, ` + "`snake_case`" + ` field names; times are RFC 3339 in UTC.
- Every error is an RFC 9457 problem (` + "`application/problem+json`" + `) with a stable
  ` + "`code`" + ` (also the last part of ` + "`type`" + `), a ` + "`detail`" + ` for people, per-field
  ` + "`errors`" + ` for invalid input and the ` + "`request_id`" + ` to quote when reporting it.
- Every response carries ` + "`X-Request-ID`" + `; send your own (up to 64 of ` + "`A-Z a-z 0-9 - _ .`" + `)
  to correlate logs.
- Requests are rate limited per client address: a 429 carries ` + "`Retry-After`" + `
  (seconds) and ` + "`RateLimit-*`" + ` headers.
- Public content carries a strong ` + "`ETag`" + `; send ` + "`If-None-Match`" + ` to get ` + "`304`" + `.
- Large JSON responses are compressed with br or gzip when ` + "`Accept-Encoding`" + ` allows.
- Request bodies are capped at 1 MiB; unknown fields are rejected.`

const rolesTable = `

| role | may |
|---|---|
| admin | everything, including staff accounts, API keys and the audit log |
| editor | content: pages, audiences, navigation, opportunities and events |
| membership | member records, including special-category data; enquiries |
| treasurer | donations and Gift Aid |
| analyst | visit statistics and aggregate figures, no personal data |

A staff member may hold several roles.`

// tags describes each capability; operations use these names.
var tags = []*huma.Tag{
	{Name: "Site", Description: "The organisation's public profile: name, mission and description."},
	{Name: "Auth", Description: "Staff sign-in: short-lived access tokens (JWT) and single-use refresh tokens."},
	{Name: "Staff", Description: "Staff accounts and their roles (admin only). " + rolesTable},
	{Name: "API keys", Description: "Partner organisations and the API keys they and HPA's scripts use (admin only)."},
	{Name: "Audit", Description: "The append-only record of who read or changed personal data, content, money or access."},
	{Name: "Visits", Description: "Privacy-first collection of page views and events: no cookies, no personal data, visitors unlinkable across days."},
	{Name: "Statistics", Description: "Visit figures for analysts and scripts (`stats:read` keys): summaries, time series, breakdowns, realtime, CSV; and the public visit counter. See docs/statistics.md for copy-paste examples."},
	{Name: "Operations", Description: "Probes for orchestrators and monitoring. `/metrics` (Prometheus text format) is served beside them."},
}

// humaConfig is the API's OpenAPI identity and huma's settings: no CDN docs
// page, no `$schema` links in bodies, servers relative to wherever the
// document is served so one contract fits every deployment.
func humaConfig() huma.Config {
	config := huma.DefaultConfig("HPA API", ContractVersion)
	config.CreateHooks = nil // drops huma's $schema link transformer
	config.DocsPath = ""
	config.OpenAPIPath = ""
	config.SchemasPath = ""
	config.Info.Description = apiDescription
	config.Info.Contact = &huma.Contact{Name: "Harmed Patients Alliance", URL: "https://github.com/harmedpatients/hpa"}
	config.Info.License = &huma.License{Name: "MIT", Identifier: "MIT"}
	config.Servers = []*huma.Server{{URL: "/", Description: "The deployment serving this document (http://localhost:8080 under `make run`)"}}
	config.Tags = tags
	config.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeStaff: {
			Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "A staff access token from `POST /v1/auth/login` (15 minutes; renew with `POST /v1/auth/refresh`).",
		},
		schemeMember: {
			Type: "http", Scheme: "bearer", BearerFormat: "JWT",
			Description: "A member self-service token obtained through an emailed magic link.",
		},
		schemeAPIKey: {
			Type: "apiKey", In: "header", Name: "X-API-Key",
			Description: "A partner or script API key (`hpa_live_…`), created by an HPA admin with the scopes it needs.",
		},
	}
	return config
}
