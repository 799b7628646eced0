package donations

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/testfactory"
	"github.com/riverqueue/river"
)

// The nightly housekeeping job forgets the sealed Gift Aid details of
// checkouts nobody paid once they are two weeks old, and the IDs of
// Stripe events handled three months ago (Stripe stops retrying after
// three days); it keeps what is younger, and an event still waiting for
// the one it depends on.
func TestHousekeepingForgetsAbandonedCheckoutsAndOldEvents(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	ring, hasher := testfactory.Keys(t)
	start := time.Now()
	now := start
	s := NewService(pool, Deps{Ring: ring, Hasher: hasher, Logger: logging.Discard()}, Settings{}, func() time.Time { return now })

	campaign, err := store.Q.CampaignGetBySlug(ctx, pool, "general")
	if err != nil {
		t.Fatal(err)
	}
	key := "test"
	checkout, err := store.Q.CheckoutInsert(ctx, pool, store.CheckoutInsertParams{ID: uuid.New(), Frequency: OneOff, AmountPence: 2500,
		CampaignID: campaign.ID, GiftAidKeyID: &key, GiftAidSealed: []byte("sealed declaration")})
	if err != nil {
		t.Fatal(err)
	}
	awaiting := "checkout:" + checkout.ID.String()
	for _, e := range []store.StripeEventInsertParams{
		{ID: "evt_processed", Type: "invoice.paid", Created: start, Status: "processed"},
		{ID: "evt_ignored", Type: "customer.created", Created: start, Status: "ignored"},
		{ID: "evt_deferred", Type: "invoice.paid", Created: start, Status: "deferred", Awaiting: &awaiting, Payload: []byte(`{}`)},
	} {
		if _, err := store.Q.StripeEventInsert(ctx, pool, e); err != nil {
			t.Fatal(err)
		}
	}
	housekeeping := func(after time.Duration) {
		t.Helper()
		now = start.Add(after)
		if err := (&HousekeepingWorker{Service: s}).Work(ctx, &river.Job[HousekeepingArgs]{}); err != nil {
			t.Fatalf("housekeeping %s on: %v", after, err)
		}
	}
	seen := func(id string) bool {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM stripe_events WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}

	housekeeping(13 * 24 * time.Hour)
	if c, err := store.Q.CheckoutGet(ctx, pool, checkout.ID); err != nil || c.Status != "open" || c.GiftAidSealed == nil {
		t.Errorf("after 13 days: checkout %s with details %t (%v), want it open and kept", c.Status, c.GiftAidSealed != nil, err)
	}
	housekeeping(15 * 24 * time.Hour)
	if c, err := store.Q.CheckoutGet(ctx, pool, checkout.ID); err != nil || c.Status != "expired" || c.GiftAidSealed != nil || c.GiftAidKeyID != nil {
		t.Errorf("after 15 days: checkout %s with details %t (%v), want it expired and its Gift Aid details gone", c.Status, c.GiftAidSealed != nil, err)
	}
	if !seen("evt_processed") || !seen("evt_ignored") {
		t.Error("after 15 days: handled events forgotten, want them kept 90 days")
	}
	housekeeping(91 * 24 * time.Hour)
	if seen("evt_processed") || seen("evt_ignored") {
		t.Error("after 91 days: handled events kept, want them forgotten")
	}
	if !seen("evt_deferred") {
		t.Error("after 91 days: the event waiting for another was forgotten")
	}
}
