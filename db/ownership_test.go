package db_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/pgtest"
)

// owners is every table and view in the schema with the capability that
// owns it: only that capability's queries (queryFiles) write it, and only
// they read it, unless it is published or the read is in crossReads.
// A new table needs its line here, or TestEveryRelationHasAnOwner fails.
var owners = map[string]string{
	"site_profile": "content", "pages": "content", "page_revisions": "content", "audiences": "content",
	"calls_to_action": "content", "navigation_items": "content", "content_seed": "content",
	"enquiries": "content", "enquiry_form_tokens_used": "content",

	"staff": "identity", "staff_tokens": "identity", "refresh_tokens": "identity", "organisations": "identity",
	"api_keys": "identity", "login_failures": "identity",

	"audit_events": "audit",

	"members": "members", "member_sensitive": "members", "consent_events": "members", "member_tokens": "members",
	"member_notes": "members", "member_email_throttle": "members", "member_signup_requests": "members",
	"member_current_consents": "members", "member_email_preferences": "members",

	"idempotency_keys": "idempotency",

	"rate_limit_hits": "ratelimit",

	"visit_events": "visits", "visit_events_quarantine": "visits", "visit_salts": "visits", "visit_event_ids": "visits",
	"visit_write_batches": "visits", "visit_rollup_dirty": "visits", "visit_rollups_daily": "visits",
	"visit_rollups_monthly": "visits", "visit_rollups_hourly": "visits", "visit_bot_counts": "visits", "visit_counter": "visits",
	"visit_goals": "visits", "visit_imports": "visits", "visit_imported_daily": "visits",
	"visit_funnels": "visits", "visit_share_funnels": "visits",
	"visit_shares": "visits", "visit_share_sessions": "visits", "visit_prop_keys": "visits", "visit_rollup_marks": "visits",
	"visit_rows": "visits", "visit_row_values": "visits", "visit_rows_days": "visits", "visit_row_paths": "visits",

	"campaigns": "donations", "donors": "donations", "donation_checkouts": "donations", "donation_subscriptions": "donations",
	"donations": "donations", "donation_refunds": "donations", "stripe_events": "donations", "reconciliation_reports": "donations",
	"stripe_unreadable_events": "donations", "donor_stripe_customers": "donations", "ledger_entries": "donations",

	"gift_aid_declarations": "giftaid", "gift_aid_claims": "giftaid", "gift_aid_adjustments": "giftaid",
	"gift_aid_claim_gifts": "giftaid", "gift_aid_exclusions": "giftaid",

	"opportunities": "engagement", "registrations": "engagement", "opportunity_alerts": "engagement",
	"alert_sends": "engagement", "opportunity_outcomes": "engagement",

	"webhook_endpoints": "webhooks", "webhook_events": "webhooks", "webhook_deliveries": "webhooks", "webhook_attempts": "webhooks",

	// River's (internal/jobs) and goose's (internal/database): no query
	// in db/queries touches them.
	"river_job": "jobs", "river_leader": "jobs", "river_migration": "jobs", "river_notification": "jobs", "river_queue": "jobs",
	"goose_db_version": "database",
}

// published lists the views an owner defines for other capabilities to
// read (never write): what they may know of its tables, with its rules.
var published = map[string]bool{
	"member_current_consents":  true, // the latest consent event decides (engagement's alerts)
	"member_email_preferences": true, // active members' interests, audiences and frequency (engagement's alerts and digests)
}

// crossReads are the deliberate reads of another capability's tables, by
// reader and table. Writes are never allowed: they go through a query the
// owner defines (giftaid marks gifts claimed with donations'
// DonationGiftAidClaimSet).
var crossReads = map[[2]string]string{
	// Gift Aid is claimed on the ledger's own gifts: eligibility, claim
	// schedules and statements select them in the same statement as the
	// declarations and claims covering them.
	{"giftaid", "donations"}: "Gift Aid is worked out on the ledger's gifts",
	// A member's declarations are theirs through the donor record linking
	// the two.
	{"giftaid", "donors"}: "a member's declarations are found through their donor record",
}

// queryFiles names the capability each file in db/queries belongs to.
var queryFiles = map[string]string{
	"audit.sql": "audit", "donations.sql": "donations", "engagement.sql": "engagement", "enquiries.sql": "content",
	"giftaid.sql": "giftaid", "idempotency.sql": "idempotency", "identity.sql": "identity", "members.sql": "members",
	"mission.sql": "content", "pages.sql": "content", "site.sql": "content", "visits.sql": "visits", "visit_imports.sql": "visits",
	"visit_shares.sql": "visits", "visit_funnels.sql": "visits", "visit_rows.sql": "visits", "visit_fresh.sql": "visits", "webhooks.sql": "webhooks",
	"ratelimit.sql": "ratelimit", "replica.sql": "database", "ledger.sql": "donations", "jobs.sql": "jobs",
}

// A capability's queries touch its own tables, the views others publish
// and the reads crossReads allows; nothing else (docs/architecture.md).
func TestQueriesKeepToTheirCapability(t *testing.T) {
	files, err := filepath.Glob("queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no queries: %v", err)
	}
	used := map[[2]string]bool{}
	for _, file := range files {
		capability, ok := queryFiles[filepath.Base(file)]
		if !ok {
			t.Errorf("%s: say which capability it belongs to in queryFiles", file)
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range splitQueries(string(src)) {
			seen := map[relationRef]bool{}
			for _, ref := range relationsIn(q.sql) {
				owner := owners[ref.name]
				switch {
				case owner == "" || owner == capability || seen[ref]:
				case ref.write:
					t.Errorf("%s %s (%s) writes %s, which %s owns: ask a query %s defines", file, q.name, capability, ref.name, owner, owner)
				case published[ref.name]:
				case crossReads[[2]string{capability, ref.name}] != "":
					used[[2]string{capability, ref.name}] = true
				default:
					t.Errorf("%s %s (%s) reads %s, which %s owns: read a view or a query %s defines, or allow it in crossReads", file, q.name, capability, ref.name, owner, owner)
				}
				seen[ref] = true
			}
		}
	}
	for read := range crossReads {
		if !used[read] {
			t.Errorf("crossReads allows %s to read %s, which no query does any more: remove it", read[0], read[1])
		}
	}
}

// Every table and view a migrated database has is in owners, so no query
// escapes the check above by touching a table nobody listed.
func TestEveryRelationHasAnOwner(t *testing.T) {
	pool := pgtest.Pool(t)
	rows, err := pool.Query(context.Background(), `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	inSchema := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		inSchema[name] = true
		if owners[name] == "" {
			t.Errorf("%s has no owner: add it to owners", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name := range owners {
		if !inSchema[name] {
			t.Errorf("owners lists %s, which the schema does not have", name)
		}
	}
	for name := range published {
		if !inSchema[name] {
			t.Errorf("published lists %s, which the schema does not have", name)
		}
	}
}

// The scanner finds what a statement reads and writes, wherever the
// table is named: FROM lists, joins, subqueries, CTEs and the targets of
// INSERT, UPDATE and DELETE; never a column, a function or a comment.
func TestRelationsIn(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{`SELECT email FROM staff WHERE active`, "staff"},
		{`SELECT * FROM members m JOIN consent_events c ON c.member_id = m.id`, "members consent_events"},
		{`SELECT * FROM members, unnest(audiences) AS audience`, "members"},
		{`SELECT * FROM pages p, audiences a WHERE a.page_id = p.id`, "pages audiences"},
		{`SELECT (SELECT count(*) FROM donors) FROM campaigns LEFT OUTER JOIN donations ON true`, "donors campaigns donations"},
		{`WITH x AS (UPDATE donations SET n = 1 RETURNING id) INSERT INTO gift_aid_claim_gifts SELECT id FROM x`, "donations! gift_aid_claim_gifts!"},
		{`DELETE FROM member_tokens USING members WHERE true`, "member_tokens! members"},
		{`SELECT * FROM opportunity_alerts a FOR UPDATE OF a`, "opportunity_alerts"},
		{`INSERT INTO audiences (key) VALUES ('FROM staff') ON CONFLICT DO UPDATE SET key = 'x' -- FROM members`, "audiences!"},
		{`SELECT extract(year FROM paid_at) FROM ONLY donations`, "donations"},
	} {
		var got []string
		for _, r := range relationsIn(tc.sql) {
			if owners[r.name] == "" {
				continue // a function, a column, a CTE: callers look up only known names
			}
			if r.write {
				r.name += "!"
			}
			got = append(got, r.name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("relationsIn(%q) = %v, want %s", tc.sql, got, tc.want)
		}
	}
}

type query struct{ name, sql string }

var queryName = regexp.MustCompile(`(?m)^-- name: (\w+)`)

// splitQueries cuts a sqlc queries file into its named queries.
func splitQueries(src string) []query {
	var out []query
	marks := queryName.FindAllStringSubmatchIndex(src, -1)
	for i, m := range marks {
		end := len(src)
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		out = append(out, query{name: src[m[2]:m[3]], sql: src[m[1]:end]})
	}
	return out
}

type relationRef struct {
	name  string
	write bool
}

var (
	comments = regexp.MustCompile(`--[^\n]*`)
	literals = regexp.MustCompile(`'(?:[^']|'')*'`)
	tokens   = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*|[^\sA-Za-z_]`)
)

// relationsIn lists the names a statement reads or writes as relations,
// in order: each name after FROM, JOIN, UPDATE, INTO or USING, and after
// each comma of a FROM list. Names that are not relations (a function, a
// column in extract(… FROM col), "UPDATE SET") come through too; callers
// look up only the names they know.
func relationsIn(sql string) []relationRef {
	toks := tokens.FindAllString(literals.ReplaceAllString(comments.ReplaceAllString(sql, ""), "''"), -1)
	lower := make([]string, len(toks))
	for i, tok := range toks {
		lower[i] = strings.ToLower(tok)
	}
	var out []relationRef
	for i := 0; i < len(lower); i++ {
		switch lower[i] {
		case "from", "join", "update", "into", "using":
		default:
			continue
		}
		write := lower[i] == "update" || lower[i] == "into" || (lower[i] == "from" && i > 0 && lower[i-1] == "delete")
		if lower[i] == "update" && i > 0 && (lower[i-1] == "for" || lower[i-1] == "key" || lower[i-1] == "do") {
			continue // a row lock or ON CONFLICT DO UPDATE
		}
		// One relation, or a FROM list: name [AS] [alias], name …
		for j := i + 1; j < len(lower); {
			if lower[j] == "only" {
				j++
			}
			if j >= len(lower) || !isIdent(lower[j]) || (j+1 < len(lower) && lower[j+1] == ".") ||
				(lower[i] != "into" && j+1 < len(lower) && lower[j+1] == "(") {
				break // a subquery, a function or a qualified name
			}
			out = append(out, relationRef{name: lower[j], write: write})
			j++
			if j < len(lower) && lower[j] == "as" {
				j++
			}
			if j < len(lower) && isIdent(lower[j]) && !sqlKeywords[lower[j]] {
				j++ // the alias
			}
			if lower[i] != "from" || j >= len(lower) || lower[j] != "," {
				break
			}
			j++
		}
	}
	return out
}

func isIdent(tok string) bool {
	c := tok[0]
	return c == '_' || (c >= 'a' && c <= 'z')
}

// sqlKeywords are the words that can follow a relation where an alias
// could: they end the relation, they do not name it.
var sqlKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`where join left right inner outer full cross natural on using set values select
		returning group order limit offset for window union except intersect having lateral default on conflict do`) {
		m[w] = true
	}
	return m
}()
