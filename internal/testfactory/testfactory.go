// Package testfactory makes the rows a capability-level test starts from,
// on a pgtest database, without going through the HTTP layer or another
// capability: each function inserts one row with sensible defaults that
// its options override, as River's testfactory does. Personal data is
// sealed with the fixed test keys of Keys, so services built with them
// read the rows as their own.
package testfactory

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
)

// Keys returns the sealing ring and hasher the factory's rows are sealed
// and hashed with: fixed test keys, never used outside tests.
func Keys(t testing.TB) (*sealed.Ring, *sealed.Hasher) {
	t.Helper()
	ring, err := sealed.NewRing([]sealed.Key{{ID: "test", Secret: []byte("testfactory-encryption-key-32-by")}})
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := sealed.NewHasher([]byte("testfactory-hash-key-of-32-bytes-or-more"))
	if err != nil {
		t.Fatal(err)
	}
	return ring, hasher
}

var seq atomic.Int64

// MemberOpts overrides a member's defaults: an active member with a
// unique address, no interests or audiences, hearing as it happens, and
// no consent events.
type MemberOpts struct {
	Email          string
	Name           string
	Status         string // "active" unless set
	Interests      []string
	Audiences      []string
	EmailFrequency string // "as-it-happens" unless set
	// Consents are the member's consent events, oldest first: a purpose
	// ("membership", "interest:surveys") granted, or withdrawn when it
	// starts with "-".
	Consents []string
}

// Member inserts a member as membership's own queries write one, with its
// email sealed as membership reads it.
func Member(ctx context.Context, t testing.TB, db store.DBTX, opts *MemberOpts) store.Member {
	t.Helper()
	if opts == nil {
		opts = &MemberOpts{}
	}
	ring, hasher := Keys(t)
	id := uuid.New()
	email := opts.Email
	if email == "" {
		email = fmt.Sprintf("member%d-%s@example.org", seq.Add(1), id.String()[:8])
	}
	name := opts.Name
	if name == "" {
		name = "Member " + email
	}
	status := opts.Status
	if status == "" {
		status = "active"
	}
	confirmed := time.Now()
	if _, err := store.Q.MemberCopy(ctx, db, []store.MemberCopyParams{{ID: id, EmailHash: hasher.Hash("member-email", strings.ToLower(email)),
		EmailSealed: ring.SealString(email, "members.email:"+id.String()), Name: &name, Audiences: nonNil(opts.Audiences),
		Interests: nonNil(opts.Interests), Status: status, Source: "site", ConfirmedAt: &confirmed}}); err != nil {
		t.Fatalf("factory member: %v", err)
	}
	frequency := opts.EmailFrequency
	if frequency == "" {
		frequency = "as-it-happens"
	}
	row, err := store.Q.MemberUpdateProfile(ctx, db, store.MemberUpdateProfileParams{ID: id, EmailFrequency: &frequency})
	if err != nil {
		t.Fatalf("factory member: %v", err)
	}
	for _, c := range opts.Consents {
		Consent(ctx, t, db, id, c)
	}
	return row
}

// OpportunityOpts overrides an opportunity's defaults: a published
// online survey with no audiences, starting in a week.
type OpportunityOpts struct {
	Kind      string // "survey" unless set
	Title     string
	Audiences []string
	Status    string // "published" unless set
}

// Opportunity inserts an opportunity as engagement's own queries write one.
func Opportunity(ctx context.Context, t testing.TB, db store.DBTX, opts *OpportunityOpts) store.Opportunity {
	t.Helper()
	if opts == nil {
		opts = &OpportunityOpts{}
	}
	kind, title, status := opts.Kind, opts.Title, opts.Status
	if kind == "" {
		kind = "survey"
	}
	if title == "" {
		title = fmt.Sprintf("Opportunity %d", seq.Add(1))
	}
	if status == "" {
		status = "published"
	}
	starts := time.Now().Add(7 * 24 * time.Hour)
	row, err := store.Q.OpportunityInsert(ctx, db, store.OpportunityInsertParams{Kind: kind, Title: title, Summary: "A summary of " + title,
		Description: "About " + title, DescriptionHtml: "<p>About " + title + "</p>", OrganiserName: "HPA", Audiences: nonNil(opts.Audiences),
		Online: true, StartsAt: &starts, Status: "approved"})
	if err != nil {
		t.Fatalf("factory opportunity: %v", err)
	}
	if status != "approved" {
		if row, err = store.Q.OpportunitySetStatus(ctx, db, store.OpportunitySetStatusParams{ID: row.ID, Status: status}); err != nil {
			t.Fatalf("factory opportunity status: %v", err)
		}
	}
	return row
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Consent records one more consent event for a member: purpose granted,
// or withdrawn when it starts with "-".
func Consent(ctx context.Context, t testing.TB, db store.DBTX, memberID uuid.UUID, event string) {
	t.Helper()
	purpose, withdrawn := strings.CutPrefix(event, "-")
	if err := store.Q.ConsentInsert(ctx, db, store.ConsentInsertParams{MemberID: memberID, Purposes: []string{purpose}, Granted: []bool{!withdrawn},
		Versions: []string{"test"}, Hashes: [][]byte{[]byte("test")}, Source: "site"}); err != nil {
		t.Fatalf("factory consent %s: %v", event, err)
	}
}

// Staff inserts an active staff member who has set a password (its hash
// opens nothing), holding roles.
func Staff(ctx context.Context, t testing.TB, db store.DBTX, roles ...string) store.Staff {
	t.Helper()
	email := fmt.Sprintf("staff%d-%s@example.org", seq.Add(1), uuid.NewString()[:8])
	hash := "not a real password hash"
	row, err := store.Q.StaffInsert(ctx, db, store.StaffInsertParams{Email: email, DisplayName: "Staff " + email, PasswordHash: &hash, Roles: roles})
	if err != nil {
		t.Fatalf("factory staff: %v", err)
	}
	return row
}
