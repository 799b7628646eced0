// Package content owns the charity's public content and the public's
// enquiries: the site profile and its structured mission content
// (restorative questions, audiences, calls to action, navigation menus),
// pages with their revisions and publishing workflow, full-text search, the
// seed that makes a fresh install serve the charity's own words, and the
// "get in touch" enquiries with their anti-abuse checks and retention.
//
// Public reads are served from an in-process cache that every API process
// drops when Postgres announces a change (NOTIFY hpa_content_changed) and
// when the next scheduled page is due, so scheduled pages go live on time
// without a job or a restart.
package content
