package faults

import (
	"fmt"
	"strings"
	"time"
)

// emailDuplicateBound is the documented at-least-once bound of the
// outbox: an email whose SMTP delivery finished just as the service died
// or lost its database (before River recorded the job done) is sent
// again. At most one per mail worker (30) can be in that state per fault.
const emailDuplicateBound = 30

// paths in report order.
var paths = []string{pathSignup, pathPartner, pathConfirm, pathBeacon, pathBatch, pathWebhook, pathRegistration, pathEmail}

// problems lists every way the run fell short of what the service
// promises (docs/reliability.md).
func (r *result) problems() []string {
	var out []string
	for _, name := range r.overbooked {
		out = append(out, fmt.Sprintf("%s: the event was overbooked (more than %d confirmed places)", name, eventCapacity))
	}
	for _, pr := range r.phases {
		if pr.serverErrors > 0 {
			out = append(out, fmt.Sprintf("%s: %d answers were 5xx other than 503 with Retry-After", pr.name, pr.serverErrors))
		}
		for _, path := range paths {
			tl := pr.paths[path]
			if tl == nil {
				if path != pathConfirm && path != pathEmail {
					out = append(out, fmt.Sprintf("%s, %s: no load was sent", pr.name, path))
				}
				continue
			}
			if tl.lost > 0 {
				out = append(out, fmt.Sprintf("%s, %s: %d acknowledged writes lost", pr.name, path, tl.lost))
			}
			if tl.duplicated > 0 && (path != pathEmail || tl.duplicated > emailDuplicateBound) {
				out = append(out, fmt.Sprintf("%s, %s: %d written twice", pr.name, path, tl.duplicated))
			}
			if tl.acked == 0 && tl.pending == 0 && path != pathEmail {
				out = append(out, fmt.Sprintf("%s, %s: nothing was acknowledged", pr.name, path))
			}
		}
	}
	return out
}

// markdown is the report docs/reliability.md quotes.
func (r *result) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s, `%s`, %s in all.\n\n", r.when.Format("2006-01-02 15:04 MST"), r.command, r.took.Round(time.Second))
	b.WriteString("| fault | lasted | first error | recovered | failed attempts | 5xx but a 503 with Retry-After | slowest answer |\n|---|---|---|---|---|---|---|\n")
	for _, pr := range r.phases {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %.2f s |\n", pr.name, since(pr.healed.Sub(pr.injected)), since(pr.firstError),
			since(pr.recovered), pr.failed, pr.serverErrors, pr.slowest.Seconds())
	}
	b.WriteString("\n| fault | path | sent | acknowledged | dropped | lost | duplicated |\n|---|---|---|---|---|---|---|\n")
	for _, pr := range r.phases {
		for _, path := range paths {
			tl := pr.paths[path]
			if tl == nil {
				continue
			}
			lost := fmt.Sprint(tl.lost)
			if tl.lostInBound > 0 {
				lost += fmt.Sprintf(" (+%d within the SIGKILL bound)", tl.lostInBound)
			}
			if tl.pending > 0 {
				lost += fmt.Sprintf(" (%d still queued, durably)", tl.pending)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %d |\n", pr.name, path, tl.sent, tl.acked, tl.dropped, lost, tl.duplicated)
		}
	}
	fmt.Fprintf(&b, "\nOverbooked events: %d. Owed when checked (durable, not lost): %d signups, %d emails.\n", len(r.overbooked), r.pendingSignup, r.pendingEmail)
	return b.String()
}

// since formats a time after injection; "none" for no error or fault.
func since(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
