package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// A member who gives once and then monthly is one Stripe customer: their
// second checkout reuses the customer of the first. Where Stripe made
// another customer all the same, the member's donor record keeps both,
// and a failed monthly payment emails them a link to the customer whose
// payment failed.
func TestAMemberGivingAgainKeepsTheirStripeCustomer(t *testing.T) {
	t.Parallel()
	srv, proxy := startGivingBehindProxy(t)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	member := srv.MemberToken(t, "mia@example.org")
	checkout := func(frequency string) string {
		t.Helper()
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/checkout", Token: member,
			Body: map[string]any{"amount_pence": 1000, "currency": "GBP", "frequency": frequency, "campaign": "general", "email": "mia@example.org"}})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
		}
		var c checkoutResult
		r.JSON(t, &c)
		return c.CheckoutID
	}
	lastSession := func() url.Values {
		calls := proxy.Calls("/v1/checkout/sessions")
		return calls[len(calls)-1].Form
	}

	first := checkout("one_off")
	if f := lastSession(); f.Get("customer") != "" || f.Get("customer_creation") != "always" {
		t.Fatalf("first checkout: %v", f)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(first, "general", 1000, "mia@example.org", "Mia", "cus_mia1", "pi_mia1")))

	second := checkout("monthly")
	if f := lastSession(); f.Get("customer") != "cus_mia1" || f.Get("customer_email") != "" {
		t.Fatalf("the member's second checkout does not reuse their customer: %v", f)
	}
	// Stripe made another customer all the same (a checkout from before reuse).
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), subscriptionCheckout(second, 1000, "mia@example.org", "cus_mia2", "sub_mia")))
	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_mia1", "sub_mia", "cus_mia2", "mia@example.org", second, 1000)))

	var donors struct {
		Items []struct{ ID string }
	}
	srv.Do(apitest.Request{Path: "/v1/donors", Token: treasurer}).JSON(t, &donors)
	if len(donors.Items) != 1 {
		t.Fatalf("%d donor records for one member, want 1", len(donors.Items))
	}
	var donor struct {
		StripeCustomerIDs []string `json:"stripe_customer_ids"`
		Donations         []any    `json:"donations"`
	}
	srv.Do(apitest.Request{Path: "/v1/donors/" + donors.Items[0].ID, Token: treasurer}).JSON(t, &donor)
	if !slices.Equal(donor.StripeCustomerIDs, []string{"cus_mia1", "cus_mia2"}) || len(donor.Donations) != 2 {
		t.Fatalf("donor keeps customers %v and %d gifts, want both customers and 2 gifts", donor.StripeCustomerIDs, len(donor.Donations))
	}

	// The monthly payment fails: the email's link opens the customer that holds the subscription.
	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.payment_failed", time.Now(), map[string]any{"id": "in_mia2", "object": "invoice",
		"status": "open", "amount_due": 1000, "currency": "gbp", "customer": "cus_mia2",
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_mia"}}}))
	failed := srv.Mail.WaitFor(t, "mia@example.org", 10*time.Second, func(m mailtest.Message) bool {
		return strings.Contains(m.Text, "/donate/manage?token=") && !strings.Contains(m.Subject, "Thank")
	})
	link, err := url.Parse(strings.Fields(failed.Text[strings.Index(failed.Text, "https://www.hpa.example/donate/manage?token="):])[0])
	if err != nil {
		t.Fatal(err)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/portal-sessions", Body: map[string]any{"token": link.Query().Get("token")}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("portal: %d %s", r.StatusCode, r.Body)
	}
	portals := proxy.Calls("/v1/billing_portal/sessions")
	if len(portals) != 1 || portals[0].Form.Get("customer") != "cus_mia2" {
		t.Fatalf("portal opened for %+v, want cus_mia2", portals)
	}
}
