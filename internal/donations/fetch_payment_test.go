package donations

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/testfactory"
	"github.com/riverqueue/river"
)

// The job that asks Stripe for a recorded payment's details fills in its
// charge, fee and method (card, Bacs Direct Debit, else "stripe"), and
// leaves the gift as it is when Stripe answers with a charge of another
// payment intent. Stripe here is a stand-in that answers each payment
// intent with the charge the test chose.
func TestFetchPaymentFillsInTheChargeFeeAndMethod(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	charges := map[string]map[string]any{
		"pi_card": {"id": "ch_card", "object": "charge", "payment_intent": "pi_card", "payment_method_details": map[string]any{"type": "card"},
			"balance_transaction": map[string]any{"id": "txn_card", "object": "balance_transaction", "currency": "gbp", "fee": 59}},
		"pi_bacs": {"id": "ch_bacs", "object": "charge", "payment_intent": "pi_bacs", "payment_method_details": map[string]any{"type": "bacs_debit"}},
		"pi_other": {"id": "ch_other", "object": "charge", "payment_intent": "pi_someone_else", "payment_method_details": map[string]any{"type": "card"},
			"balance_transaction": map[string]any{"id": "txn_other", "object": "balance_transaction", "currency": "gbp", "fee": 99}},
	}
	stripe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents/")
		query, _ := url.QueryUnescape(r.URL.RawQuery)
		if !strings.Contains(query, "=latest_charge.balance_transaction") || charges[id] == nil {
			http.Error(w, `{"error":{"type":"invalid_request_error","message":"unexpected request"}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "payment_intent", "status": "succeeded", "latest_charge": charges[id]})
	}))
	t.Cleanup(stripe.Close)
	ring, hasher := testfactory.Keys(t)
	s := NewService(pool, Deps{Ring: ring, Hasher: hasher, Logger: logging.Discard()}, Settings{StripeKey: "sk_test_123", StripeURL: stripe.URL}, time.Now)
	campaign, err := store.Q.CampaignGetBySlug(ctx, pool, "general")
	if err != nil {
		t.Fatal(err)
	}

	for intent, want := range map[string]struct {
		charge, method string
		fee            int64 // -1: none
	}{
		"pi_card":  {"ch_card", "card", 59},
		"pi_bacs":  {"ch_bacs", "bacs_debit", -1},
		"pi_other": {"", "stripe", -1},
	} {
		pi := intent
		gift, err := store.Q.DonationInsertStripe(ctx, pool, store.DonationInsertStripeParams{CampaignID: campaign.ID, AmountPence: 1000,
			Method: "stripe", Frequency: OneOff, StripePaymentIntentID: &pi, PaidAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		job := &river.Job[FetchPaymentArgs]{Args: FetchPaymentArgs{DonationID: gift.ID, PaymentIntentID: intent}}
		if err := (&FetchPaymentWorker{Service: s}).Work(ctx, job); err != nil {
			t.Fatalf("%s: %v", intent, err)
		}
		got, err := store.Q.DonationGet(ctx, pool, gift.ID)
		if err != nil {
			t.Fatal(err)
		}
		fee := int64(-1)
		if got.FeePence != nil {
			fee = *got.FeePence
		}
		if store.Text(got.StripeChargeID) != want.charge || got.Method != want.method || fee != want.fee {
			t.Errorf("%s: charge %q, method %s, fee %d; want %q, %s, %d", intent, store.Text(got.StripeChargeID), got.Method, fee, want.charge, want.method, want.fee)
		}
	}
}
