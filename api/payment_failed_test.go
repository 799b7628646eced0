package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// invoicePaymentFailed is a subscription invoice whose payment failed.
func invoicePaymentFailed(invoice, subscription, customer, email, checkoutID string, amount int64) map[string]any {
	return map[string]any{
		"id": invoice, "object": "invoice", "status": "open", "amount_paid": 0, "amount_due": amount, "currency": "gbp",
		"customer": customer, "customer_email": email, "attempt_count": 1,
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
			"subscription": subscription, "metadata": map[string]any{"hpa_checkout_id": checkoutID}}},
	}
}

// A monthly payment that fails tells the donor once, with the amount and
// a link to update their card, and records no gift; when the bank's retry
// succeeds the gift is recorded and receipted. A failure for a customer
// HPA does not know is acknowledged and tells nobody.
func TestAFailedMonthlyPaymentTellsTheDonorOnce(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	r, c := startCheckout(t, srv, map[string]any{"amount_pence": 1500, "currency": "GBP", "frequency": "monthly", "campaign": "campaigning"}, "")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		subscriptionCheckout(c.CheckoutID, 1500, "pat@example.org", "cus_pf", "sub_pf")))
	queued := func() int {
		return countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind = 'mail.send'`)
	}
	before := queued()

	failed := stripemock.Event(newEventID(), "invoice.payment_failed", time.Now(),
		invoicePaymentFailed("in_pf_1", "sub_pf", "cus_pf", "pat@example.org", c.CheckoutID, 1500))
	sendEvent(t, srv, failed)
	sendEvent(t, srv, failed) // Stripe delivers again
	if n := queued() - before; n != 1 {
		t.Errorf("%d emails queued for one failed payment delivered twice, want 1", n)
	}
	notice := srv.Mail.WaitFor(t, "pat@example.org", 10*time.Second, func(m mailtest.Message) bool {
		return strings.Contains(m.Subject, "did not go through")
	})
	if !strings.Contains(notice.Text, "£15.00") || !strings.Contains(notice.Text, "https://www.hpa.example/donate/manage?token=") {
		t.Errorf("payment-failed email lacks the amount or the link to update the card:\n%s", notice.Text)
	}
	if gifts := listDonations(t, srv, treasurer, "?frequency=monthly"); len(gifts) != 0 {
		t.Errorf("a failed payment recorded gifts: %+v", gifts)
	}

	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.payment_failed", time.Now(),
		invoicePaymentFailed("in_stranger", "sub_stranger", "cus_stranger", "stranger@example.org", "", 900)))
	if n := queued() - before; n != 1 {
		t.Errorf("%d emails queued after a stranger's failed payment, want still 1", n)
	}

	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(),
		invoicePaid("in_pf_1", "sub_pf", "cus_pf", "pat@example.org", c.CheckoutID, 1500)))
	if gifts := listDonations(t, srv, treasurer, "?frequency=monthly"); len(gifts) != 1 || gifts[0].AmountPence != 1500 {
		t.Errorf("after the retry was paid: %+v, want one gift of 1500", gifts)
	}
	srv.Mail.WaitFor(t, "pat@example.org", 10*time.Second, func(m mailtest.Message) bool {
		return strings.HasPrefix(m.Subject, "Thank you for your gift of £15.00")
	})
}
