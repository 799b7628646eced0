package api

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/sitelinks"
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
- Requests are rate limited: a 429 ` + "`rate-limited`" + ` carries ` + "`Retry-After`" + ` (the seconds left
  in the limit's window) and the IETF ` + "`RateLimit-Policy`" + ` and ` + "`RateLimit`" + ` fields
  (` + "`\"signup\";q=20;w=3600`" + `, ` + "`\"signup\";r=0;t=1834`" + `). Operations with a limit of their own
  (signups, sign-in links, enquiries, sign-ins) and every request with an API key send those
  fields on every answer, so a client can slow down before it is refused. These limits hold
  across every instance of the service.
- While the database is briefly away (a restart), operations that need it answer ` + "`503 database-unavailable`" + `
  with ` + "`Retry-After`" + `: send the same request again after that many seconds (with the same
  ` + "`Idempotency-Key`" + `, where the operation takes one). Public content already read is still served.
- Public content carries a strong ` + "`ETag`" + `; send ` + "`If-None-Match`" + ` to get ` + "`304`" + `.
- Large JSON responses are compressed with br or gzip when ` + "`Accept-Encoding`" + ` allows.
- Request bodies are capped at 1 MiB; unknown fields are rejected.
- So are unknown query parameters: a parameter an operation does not declare (a typo such as
  ` + "`?perod=7d`" + `, or one another operation takes) is refused with ` + "`400 unknown-parameter`" + `, naming
  each one in ` + "`errors`" + ` (` + "`query.perod`" + `) with the parameters the operation takes, rather than
  answered as if it were absent; one given twice is ` + "`400 repeated-parameter`" + `. A write that does not take ` + "`If-Match`" + `,
  ` + "`If-Unmodified-Since`" + ` or ` + "`Idempotency-Key`" + ` refuses them the same way (` + "`header.If-Match`" + `) rather
  than leave you believing it checked them. An empty value
  (` + "`?from=`" + `) is the same as leaving the parameter out. Two operations called by other systems at a
  URL configured elsewhere ignore parameters they do not read instead: Stripe's webhook and the
  one-click unsubscribe.
- Text must be UTF-8 without NUL characters (` + "`\\u0000`" + `), wherever it is sent (path, query,
  header, any string or key of a JSON body, a CSV line): anything else is refused with ` + "`422 invalid-text`" + `,
  whose ` + "`errors`" + ` name each place (` + "`body.name`" + `, ` + "`query.q`" + `). Do not retry it unchanged.`

// deprecations lists the 1.x forms the contract keeps for its clients
// beside the one vocabulary, marked deprecated where they appear.
const deprecations = `

## Deprecated forms (sunset: 2.0.0)

Since 1.2.0 the contract speaks one vocabulary: lists are ` + "`items`" + ` (with ` + "`next_cursor`" + `,
sent back as ` + "`cursor`" + `, where they are paged); date ranges are ` + "`from`" + ` and ` + "`to`" + `, UK dates,
both inclusive. The older forms still work throughout 1.x, are marked ` + "`deprecated`" + ` where they
appear and go in 2.0.0:

| deprecated | use instead |
|---|---|
| ` + "`results`" + ` of ` + "`POST /v1/stats/query`" + `, ` + "`GET /v1/stats/timeseries`" + `, ` + "`/v1/stats/breakdown/{dimension}`" + ` and the shared-stats reports | ` + "`items`" + ` (the same list); the query also gives ` + "`next_cursor`" + ` (send it as ` + "`pagination.cursor`" + `) |
| ` + "`goals`" + `, ` + "`imports`" + `, ` + "`shares`" + ` of ` + "`GET /v1/stats/goals`" + `, ` + "`/v1/stats/imports`" + `, ` + "`/v1/stats/shares`" + ` | ` + "`items`" + ` (the same list) |
| ` + "`since`" + `, ` + "`until`" + ` of ` + "`GET /v1/audit-events`" + `; ` + "`joined_from`" + `, ` + "`joined_to`" + ` of ` + "`GET /v1/members`" + ` | ` + "`from`" + `, ` + "`to`" + ` |
| the profile's fields at the top level of ` + "`PATCH /v1/me`" + `'s answer | ` + "`profile`" + ` and ` + "`special_category`" + `, as ` + "`GET /v1/me`" + ` answers |
| ` + "`navigation`" + ` (a map) of ` + "`GET /v1/site`" + ` | ` + "`menus`" + ` (` + "`header`" + `, ` + "`footer`" + `), as ` + "`GET /v1/navigation`" + ` answers |`

// siteRoutes lists the website's pages the API links to (package
// sitelinks), which the frontend must serve.
var siteRoutes = `

## Website pages the API links to

Links in emails, and Stripe's way back from Checkout, open pages of the website (` + "`HPA_SITE_URL`" + `),
never the API: a click is a GET in a browser, and each page makes the API call it names.
The API's own ` + "`POST /v1/unsubscribe`" + ` is only for mail clients' one-click unsubscribe
(` + "`List-Unsubscribe`" + ` with ` + "`List-Unsubscribe-Post`" + `, RFC 8058) and for the unsubscribe page.

` + sitelinks.Table()

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
	{Name: "Site", Description: "Everything a home page shows in one document: the organisation's profile and mission, the restorative questions, audiences, calls to action and menus; and their editing."},
	{Name: "Pages", Description: "Pages written in Markdown, served as sanitised HTML: drafts, previews, scheduled publishing, revisions with restore, and optimistic concurrency (If-Match) for editors."},
	{Name: "Audiences", Description: "The people HPA speaks to, each with a short message and optionally a page."},
	{Name: "Navigation", Description: "The header and footer menus, leading to pages or URLs."},
	{Name: "Search", Description: "Full-text search over the published pages."},
	{Name: "Enquiries", Description: "\"Get in touch\": the public form (with anti-abuse checks: a timed single-use form token, a honeypot field, a per-address limit) and the staff inbox. Enquiries are personal data: reads are audited and they are deleted after the retention period."},
	{Name: "Auth", Description: "Staff sign-in: short-lived access tokens (JWT) and single-use refresh tokens."},
	{Name: "Staff", Description: "Staff accounts and their roles (admin only). " + rolesTable},
	{Name: "API keys", Description: "Partner organisations and the API keys they and HPA's scripts use (admin only)."},
	{Name: "Members", Description: "Joining HPA: signup from the website and from partners (double opt-in), confirmation, sign-in links, one-click unsubscribe, and the consent texts people agree to. See docs/partners.md."},
	{Name: "Self-service", Description: "A member managing their own membership with a member token (from a confirmation or sign-in link): details, interests, special-category details, a copy of everything held, erasure."},
	{Name: "Members admin", Description: "Member records for the membership role: search, records with consent history, notes, consenting-segment exports, imports; aggregate figures for analysts."},
	{Name: "Opportunities", Description: "Surveys, listening events, research studies, webinars and consultations members can take part in; event registration with waiting lists; a calendar feed."},
	{Name: "Opportunities admin", Description: "Editors create and review opportunities, publish them (which alerts matching, consenting members once each), follow and pause the alerts, see attendees and publish what was learned."},
	{Name: "Partner opportunities", Description: "Partner organisations (key scope opportunities:write) submit opportunities for HPA to review, see and edit only their own, see attendees who agreed to share, and report outcomes."},
	{Name: "Outbox", Description: "Email waiting to be sent, retrying, or failed for good (dead letters)."},
	{Name: "Donations", Description: "Giving through Stripe: campaigns and their running totals, Checkout for one-off and monthly gifts, the signed Stripe webhook, and the treasurer's ledger, refunds, donors, exports and nightly reconciliation. Money is integer pence in GBP. See docs/donations.md for the donate-page flow."},
	{Name: "Gift Aid", Description: "Donors' Gift Aid declarations (HMRC's required details, encrypted at rest, kept six years) and claims to HMRC: preview, claim (each gift once) and the Charities Online schedule as CSV."},
	{Name: "Audit", Description: "The append-only record of who read or changed personal data, content, money or access."},
	{Name: "Visits", Description: "Privacy-first collection of page views and events: no cookies, no personal data, visitors unlinkable across days. " +
		"Browsers send a page view with `navigator.sendBeacon(url, JSON.stringify(event))` (a string: text/plain, no preflight), never with an application/json Blob, which the browser drops. " +
		"Visits count only for the sites in `HPA_VISITS_HOSTNAMES`, by default the hosts of `HPA_CORS_ORIGINS`. See docs/statistics.md."},
	{Name: "Statistics", Description: "Visit figures for analysts and scripts (`stats:read` keys): summaries, time series, breakdowns, realtime, CSV; and the public visit counter. See docs/statistics.md for copy-paste examples."},
	{Name: "Outgoing webhooks", Description: "Partners (key scope webhooks:manage) and admins register endpoints that receive signed deliveries of events (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature), with retries for about three days, a delivery log, redelivery and test events. The events and their payloads are under webhooks in this document; see docs/partners.md for verifying a delivery."},
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
	config.Info.Description = apiDescription + deprecations + siteRoutes
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
