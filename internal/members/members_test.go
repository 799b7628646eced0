package members

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/testfactory"
	"github.com/jackc/pgx/v5/pgxpool"
)

// testBundle is what a capability-level test of membership works with
// besides the service: its database and its clock.
type testBundle struct {
	pool *pgxpool.Pool
	now  time.Time // what the service's clock says; tests move it
}

// setup builds membership as internal/app does, on its own database,
// with a River client that queues but never works jobs: tests run the
// work themselves.
func setup(t *testing.T) (*Service, *testBundle) {
	t.Helper()
	b := &testBundle{pool: pgtest.Pool(t), now: time.Now()}
	now := func() time.Time { return b.now }
	pool := b.pool
	ring, hasher := testfactory.Keys(t)
	q := testfactory.NewQueue(t, pool, ring, hasher, Templates)
	tokens, err := identity.NewTokens("https://api.hpa.test", []identity.SigningKey{{ID: "test", Secret: []byte("members-test-signing-key-32-bytes!!")}}, now)
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(pool, Deps{Work: pool, Jobs: q.Jobs, Ring: ring, Hasher: hasher, Tokens: tokens, Outbox: q.Outbox}, Settings{
		SiteURL: "https://www.hpa.test", APIURL: "https://api.hpa.test", ConfirmTTL: 48 * time.Hour, MagicLinkTTL: 15 * time.Minute,
		MemberTokenTTL: time.Hour, PendingTTL: 7 * 24 * time.Hour, EmailInterval: time.Minute}, now)
	s.AddWorkers(q.Workers)
	return s, b
}

// A member's current consent for a purpose is their latest event for it,
// wherever membership answers the question: who may be emailed now
// (Recipient, which alerts and digests ask), who is in an exported
// segment, and the view engagement matches alerts on.
func TestCurrentConsentIsTheLatestEventEverywhere(t *testing.T) {
	s, b := setup(t)
	pool := b.pool
	ctx := context.Background()
	const purpose = "interest:surveys"
	histories := []struct {
		name     string
		status   string
		consents []string
		granted  bool // the latest event for purpose grants it
		want     bool // and the member may be emailed about it
	}{
		{"granted", "active", []string{purpose}, true, true},
		{"granted then withdrawn", "active", []string{purpose, "-" + purpose}, false, false},
		{"withdrawn then granted again", "active", []string{"-" + purpose, purpose, "-" + purpose, purpose}, true, true},
		{"granted another purpose", "active", []string{"interest:webinars"}, false, false},
		{"never asked", "active", nil, false, false},
		{"granted, but unsubscribed", "unsubscribed", []string{purpose}, true, false},
	}
	ids := make([]uuid.UUID, len(histories))
	for i, h := range histories {
		ids[i] = testfactory.Member(ctx, t, pool, &testfactory.MemberOpts{Status: h.status, Interests: []string{"surveys"}, Consents: h.consents}).ID
	}
	out, _, err := s.ExportSegment(ctx, purpose, "")
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, r := range records[1:] {
		exported[r[0]] = true
	}
	for i, h := range histories {
		id := ids[i]
		r, err := s.Recipient(ctx, pool, id, purpose)
		if err != nil {
			t.Fatal(err)
		}
		if (r != nil) != h.want {
			t.Errorf("%s: may be emailed %t, want %t", h.name, r != nil, h.want)
		}
		if exported[id.String()] != h.want {
			t.Errorf("%s: in the exported segment %t, want %t", h.name, exported[id.String()], h.want)
		}
		var granted bool
		err = pool.QueryRow(ctx, `SELECT coalesce((SELECT granted FROM member_current_consents WHERE member_id = $1 AND purpose = $2), false)`, id, purpose).Scan(&granted)
		if err != nil {
			t.Fatal(err)
		}
		if granted != h.granted { // consent only: who is active is member_email_preferences'
			t.Errorf("%s: member_current_consents says %t, want %t", h.name, granted, h.granted)
		}
	}
}

// Someone who asked to be erased and signs up again with the same
// address is a new member: a new pending membership with only the new
// consent, confirmed by a new link, never the erased one brought back nor
// an "already a member" email.
func TestSigningUpAgainAfterErasureIsANewMembership(t *testing.T) {
	s, b := setup(t)
	pool := b.pool
	ctx := context.Background()
	const email = "rejoin@example.org"
	join := func(name string) store.Member {
		t.Helper()
		if err := s.Signup(ctx, Signup{Email: email, ConsentVersion: MembershipConsent.Version, Source: SourceSite,
			Profile: Profile{Name: name, Interests: []string{"surveys"}}}); err != nil {
			t.Fatalf("signup: %v", err)
		}
		if n, err := s.signupBatch(ctx, nil); err != nil || n != 1 {
			t.Fatalf("carrying out the queued signup: %d signups, %v", n, err)
		}
		_, dedupe, err := NormaliseEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		row, err := store.Q.MemberGetByEmailHash(ctx, pool, s.emailHash(dedupe))
		if err != nil {
			t.Fatalf("member after signup: %v", err)
		}
		return row
	}
	emails := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'mail.compose'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	first := join("First Time")
	if first.Status != StatusPending || emails() != 1 {
		t.Fatalf("first signup: status %s, %d emails", first.Status, emails())
	}
	if err := s.Erase(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	b.now = b.now.Add(time.Hour) // past the one-email-per-address interval
	second := join("Second Time")
	if second.ID == first.ID || second.Status != StatusPending || store.Text(second.Name) != "Second Time" {
		t.Errorf("signing up after erasure: member %s %s %q, want a new pending member", second.ID, second.Status, store.Text(second.Name))
	}
	consents, err := store.Q.ConsentListByMember(ctx, pool, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(consents) == 0 {
		t.Error("the new membership has no consent events")
	}
	old, err := store.Q.MemberGetByID(ctx, pool, first.ID)
	if err != nil || old.Status != StatusErased || old.Name != nil {
		t.Errorf("the erased member: %+v %v, want an anonymous tombstone", old, err)
	}
	if n := emails(); n != 2 {
		t.Errorf("%d emails queued, want 2 (a confirmation for each membership)", n)
	}
}
