package faults

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Work the service still owes once the load has stopped: signups taken
// but not yet carried out, and emails not yet sent. Both are durable
// (rows in PostgreSQL); a SIGKILL leaves the jobs it was running to
// River's rescuer, which retries them five minutes later.
const (
	pendingSignups = `SELECT count(*) FROM member_signup_requests`
	pendingEmails  = `SELECT count(*) FROM river_job WHERE kind IN ('mail.send', 'mail.compose') AND state NOT IN ('completed', 'discarded', 'cancelled')`
)

// sigkillBound is how long before a SIGKILL a single beacon may have been
// accepted and still be lost: the writer's flush interval (1 s) and time
// for the batch being written.
const sigkillBound = 3 * time.Second

// flushWait is longer than the visit writer's flush interval (1 s), so
// every event the service still holds has been written.
const flushWait = 3 * time.Second

// drain waits until the service owes nothing, or within has passed.
func drain(ctx context.Context, t *testing.T, pool *pgxpool.Pool, within time.Duration) {
	time.Sleep(flushWait)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if count(ctx, t, pool, pendingSignups)+count(ctx, t, pool, pendingEmails) == 0 {
			return
		}
		time.Sleep(time.Second)
	}
}

func count(ctx context.Context, t *testing.T, pool *pgxpool.Pool, query string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// counts runs a query returning (key, count) rows.
func counts(ctx context.Context, t *testing.T, pool *pgxpool.Pool, query string, args ...any) map[string]int {
	t.Helper()
	rows, err := pool.Query(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stored is what the database holds of the suite's writes.
type stored struct {
	members, active, visits, donations, registrations, confirmed map[string]int
	booked                                                       map[string]int // confirmed places per opportunity
	pendingSignups, pendingEmails                                int
}

func load(ctx context.Context, t *testing.T, pool *pgxpool.Pool, run string) stored {
	like := "faults % " + run + " %"
	return stored{
		members:        counts(ctx, t, pool, `SELECT name, count(*) FROM members WHERE name LIKE $1 GROUP BY name`, like),
		active:         counts(ctx, t, pool, `SELECT name, count(*) FROM members WHERE name LIKE $1 AND status = 'active' GROUP BY name`, like),
		visits:         counts(ctx, t, pool, `SELECT pathname, count(*) FROM visit_events WHERE hostname = 'www.faults.example' GROUP BY pathname`),
		donations:      counts(ctx, t, pool, `SELECT stripe_payment_intent_id, count(*) FROM donations WHERE stripe_payment_intent_id LIKE 'pi_faults_%' GROUP BY 1`),
		registrations:  counts(ctx, t, pool, `SELECT name, count(*) FROM registrations WHERE name LIKE $1 GROUP BY name`, like),
		confirmed:      counts(ctx, t, pool, `SELECT name, count(*) FROM registrations WHERE name LIKE $1 AND status = 'confirmed' GROUP BY name`, like),
		booked:         counts(ctx, t, pool, `SELECT opportunity_id::text, count(*) FROM registrations WHERE status = 'confirmed' GROUP BY 1`),
		pendingSignups: count(ctx, t, pool, pendingSignups),
		pendingEmails:  count(ctx, t, pool, pendingEmails),
	}
}

// tally counts one path's ops in one phase.
type tally struct {
	sent, acked, dropped, lost, duplicated, pending int
	lostInBound                                     int // single beacons a SIGKILL took, within the documented bound
}

// phaseResult is what one phase did to the service's clients.
type phaseResult struct {
	*phase
	firstError, recovered time.Duration // after injection; -1: no error
	failed                int           // attempts answered 5xx or not at all
	slowest               time.Duration // the longest attempt
	serverErrors          int           // 5xx other than 503 with Retry-After
	paths                 map[string]*tally
}

// result is the whole run's findings.
type result struct {
	command       string
	took          time.Duration
	when          time.Time
	phases        []*phaseResult
	overbooked    []string
	pendingSignup int
	pendingEmail  int
}

// check compares what clients were told with what the database holds.
func check(ctx context.Context, t *testing.T, pool *pgxpool.Pool, d *driver, phases []*phase) *result {
	db := load(ctx, t, pool, d.run)
	r := &result{when: time.Now().UTC(), pendingSignup: db.pendingSignups, pendingEmail: db.pendingEmails}
	for _, ph := range phases {
		r.phases = append(r.phases, &phaseResult{phase: ph, firstError: -1, recovered: -1, paths: map[string]*tally{}})
	}
	for _, ph := range phases {
		if n := db.booked[ph.opportunity]; n > eventCapacity {
			r.overbooked = append(r.overbooked, ph.name)
		}
	}
	timings(r, d.attempts)

	signupsPending, emailsPending := db.pendingSignups, db.pendingEmails
	emails := emailsByAddress(d)
	addressOf := map[string]string{}
	for addr, name := range d.names {
		addressOf[name] = addr
	}
	for _, o := range d.ops {
		pr := r.phases[o.phase]
		tl := pr.tally(o.path)
		tl.sent++
		if o.acked {
			tl.acked++
		} else {
			tl.dropped++
		}
		have, lost := 0, false
		switch o.path {
		case pathSignup, pathPartner:
			have = db.members[o.id]
			if o.acked && have == 0 {
				if signupsPending > 0 {
					signupsPending--
					tl.pending++
				} else {
					lost = true
				}
			}
			if have > 0 { // every member made gets its email, once
				et := pr.tally(pathEmail)
				et.sent++
				switch got := emails[addressOf[o.id]]; {
				case got == 0 && emailsPending > 0:
					emailsPending--
					et.pending++
				case got == 0:
					et.lost++
				default:
					et.acked++
					et.duplicated += got - 1
				}
			}
		case pathConfirm:
			lost = o.acked && db.active[o.id] == 0
		case pathBeacon:
			have = db.visits[o.id]
			lost = o.acked && have == 0
			// A SIGKILL loses what was accepted in the last flush interval,
			// plus the batch being written.
			if lost && pr.injected.Sub(o.ackAt) < sigkillBound && strings.HasPrefix(pr.name, "SIGKILL") {
				lost = false
				tl.lostInBound++
			}
		case pathBatch:
			for i := range batchSize {
				n := db.visits[o.id+strconv.Itoa(i)]
				lost = lost || (o.acked && n == 0)
				have = max(have, n)
			}
		case pathWebhook:
			have = db.donations[o.id]
			lost = o.acked && have == 0
		case pathRegistration:
			have = db.registrations[o.id]
			lost = o.acked && (have == 0 || (o.note == "confirmed" && db.confirmed[o.id] == 0))
		}
		if lost {
			tl.lost++
		}
		if have > 1 {
			tl.duplicated += have - 1
		}
	}
	return r
}

func (pr *phaseResult) tally(path string) *tally {
	if pr.paths[path] == nil {
		pr.paths[path] = &tally{}
	}
	return pr.paths[path]
}

// emailsByAddress counts the signup emails (confirmation, or "already a
// member") each address received.
func emailsByAddress(d *driver) map[string]int {
	out := map[string]int{}
	for _, m := range d.mailbox.Messages() {
		if len(m.To) == 1 && strings.Contains(m.To[0], "."+d.run+"@") {
			out[strings.ToLower(m.To[0])]++
		}
	}
	return out
}

// timings finds, for each fault, how long after its injection clients
// first saw an error and when they stopped seeing them.
func timings(r *result, attempts []attempt) {
	for i, pr := range r.phases {
		begin := time.Time{}
		if i > 0 {
			begin = r.phases[i-1].end
		}
		var lastFail time.Time
		for _, a := range attempts {
			if a.start.Before(begin) || !a.start.Before(pr.end) {
				continue
			}
			pr.slowest = max(pr.slowest, a.end.Sub(a.start))
			if a.status >= 500 && (a.status != 503 || !a.retryAfter) {
				pr.serverErrors++
			}
			if !a.failed() {
				continue
			}
			pr.failed++
			if pr.injected.IsZero() || a.end.Before(pr.injected) {
				continue
			}
			if e := a.end.Sub(pr.injected); pr.firstError < 0 || e < pr.firstError {
				pr.firstError = e
			}
			if a.end.After(lastFail) {
				lastFail = a.end
			}
		}
		if lastFail.IsZero() {
			continue
		}
		pr.recovered = lastFail.Sub(pr.injected)
		first := time.Duration(-1) // the first success after the last failure
		for _, a := range attempts {
			if !a.failed() && !a.start.Before(lastFail) {
				if e := a.end.Sub(pr.injected); first < 0 || e < first {
					first = e
				}
			}
		}
		if first > 0 {
			pr.recovered = first
		}
	}
}
