package engagement

import (
	"context"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/testfactory"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// testBundle is what a capability-level test of engagement works with
// besides the service: its database and its clock.
type testBundle struct {
	pool *pgxpool.Pool
	now  time.Time // what the service's clock says; tests move it
}

// setup builds engagement as internal/app does, on its own database, with
// membership as its directory and a River client that queues but never
// works jobs (tests run the workers themselves).
func setup(t *testing.T) (*Service, *testBundle) {
	t.Helper()
	b := &testBundle{pool: pgtest.Pool(t), now: time.Now()}
	now := func() time.Time { return b.now }
	ring, hasher := testfactory.Keys(t)
	q := testfactory.NewQueue(t, b.pool, ring, hasher, members.Templates, Templates)
	tokens, err := identity.NewTokens("https://api.hpa.test", []identity.SigningKey{{ID: "test", Secret: []byte("engagement-test-signing-key-32-bytes")}}, now)
	if err != nil {
		t.Fatal(err)
	}
	settings := Settings{SiteURL: "https://www.hpa.test", APIURL: "https://api.hpa.test", AlertInterval: 7 * 24 * time.Hour}
	directory := members.NewService(b.pool, members.Deps{Jobs: q.Jobs, Ring: ring, Hasher: hasher, Tokens: tokens, Outbox: q.Outbox},
		members.Settings{SiteURL: settings.SiteURL, APIURL: settings.APIURL}, now)
	directory.AddWorkers(q.Workers)
	svc := NewService(b.pool, Deps{Jobs: q.Jobs, Outbox: q.Outbox, Ring: ring, Hasher: hasher, Directory: directory}, settings, now)
	svc.AddWorkers(q.Workers)
	return svc, b
}

// alertStates counts an opportunity's alerts by state.
func alertStates(t *testing.T, b *testBundle, opportunity store.Opportunity) map[string]int64 {
	t.Helper()
	counts, err := store.Q.AlertCounts(context.Background(), b.pool, opportunity.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		out[c.State] = c.N
	}
	return out
}

// emailsQueued counts the emails in the outbox.
func emailsQueued(t *testing.T, b *testBundle) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'mail.send'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Members who chose a digest hear of an opportunity in it, on their day:
// weekly on Mondays, monthly on the first. Who is matched follows their
// current consent (the latest event), and a digest leaves out what they
// withdrew from since; each digest goes once.
func TestDigestsGoOnTheirDayWithWhatMembersStillWant(t *testing.T) {
	svc, b := setup(t)
	ctx := context.Background()
	surveys := func(frequency string, consents ...string) store.Member {
		return testfactory.Member(ctx, t, b.pool, &testfactory.MemberOpts{Interests: []string{"surveys"}, EmailFrequency: frequency, Consents: consents})
	}
	surveys("as-it-happens", "interest:surveys")
	surveys("weekly-digest", "interest:surveys")
	surveys("monthly-digest", "-interest:surveys", "interest:surveys")
	surveys("weekly-digest", "interest:surveys", "-interest:surveys") // withdrew before: never matched
	changedMind := surveys("weekly-digest", "interest:surveys")
	survey := testfactory.Opportunity(ctx, t, b.pool, &testfactory.OpportunityOpts{Kind: "survey"})

	fanout := &FanoutWorker{s: svc}
	if err := fanout.Work(ctx, &river.Job[FanoutArgs]{Args: FanoutArgs{OpportunityID: survey.ID}}); err != nil {
		t.Fatal(err)
	}
	if got := alertStates(t, b, survey); got["pending"] != 1 || got["digest"] != 3 || len(got) != 2 {
		t.Fatalf("alerts after fan-out: %v, want 1 pending (as it happens) and 3 for digests", got)
	}
	testfactory.Consent(ctx, t, b.pool, changedMind.ID, "-interest:surveys")

	london, _ := time.LoadLocation("Europe/London")
	digests := func(day string) {
		t.Helper()
		on, _ := time.ParseInLocation(time.DateOnly, day, london)
		b.now = on.Add(9 * time.Hour)
		if err := (&DigestWorker{s: svc}).Work(ctx, &river.Job[DigestArgs]{}); err != nil {
			t.Fatalf("digests on %s: %v", day, err)
		}
	}
	before := emailsQueued(t, b)
	digests("2026-12-08") // a Tuesday: nobody's day
	if got := alertStates(t, b, survey); got["digest"] != 3 || emailsQueued(t, b) != before {
		t.Errorf("on a Tuesday: alerts %v, %d emails queued; want nothing sent", got, emailsQueued(t, b)-before)
	}
	digests("2026-12-07") // a Monday
	if got := alertStates(t, b, survey); got["digest"] != 1 || got["digested"] != 2 {
		t.Errorf("on a Monday: alerts %v, want the two weekly digests done and the monthly one waiting", got)
	}
	if n := emailsQueued(t, b) - before; n != 1 {
		t.Errorf("on a Monday: %d digests queued, want 1 (the member who withdrew since gets none)", n)
	}
	digests("2026-12-14") // the next Monday: nothing new
	digests("2027-01-01") // the first of the month, a Friday
	if got := alertStates(t, b, survey); got["digest"] != 0 || got["digested"] != 3 {
		t.Errorf("on the first: alerts %v, want every digest done", got)
	}
	if n := emailsQueued(t, b) - before; n != 2 {
		t.Errorf("after the first of the month: %d digests queued, want 2", n)
	}
}
