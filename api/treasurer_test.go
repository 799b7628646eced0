package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// A treasurer's day: campaigns, an offline gift with a paper declaration,
// a refund through Stripe, donors, a statement, totals, an export, a
// cancelled declaration; and a monthly donor opening the portal.
func TestTreasurerTools(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	do := func(method, path string, body any, want int) *apitest.Response {
		t.Helper()
		r := srv.Do(apitest.Request{Method: method, Path: path, Body: body, Token: treasurer})
		if r.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, r.StatusCode, r.Body, want)
		}
		return r
	}
	do(http.MethodPost, "/v1/campaigns", map[string]any{"slug": "winter-appeal", "name": "Winter appeal", "target_pence": 500000}, http.StatusCreated)
	do(http.MethodPost, "/v1/campaigns", map[string]any{"slug": "winter-appeal", "name": "Again"}, http.StatusConflict)
	do(http.MethodPatch, "/v1/campaigns/winter-appeal", map[string]any{"description": "Keeping the helpline open"}, http.StatusOK)

	// An oral declaration's written record cannot have gone before it was made.
	decl := map[string]any{"first_name": "Cy", "last_name": "Cash", "house_name_or_number": "Flat 2", "postcode": "X",
		"scope": "this_and_future", "wording_version": "hmrc-model-2026", "uk_taxpayer": true, "method": "oral", "declared_on": "2026-01-05",
		"confirmation_sent_on": "2026-01-04"}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/declarations", Body: decl, Token: treasurer}); r.StatusCode != 422 || r.Problem(t).Code != "gift-aid-declaration-incomplete" {
		t.Fatalf("oral declaration confirmed before it was made: %d %s", r.StatusCode, r.Body)
	}
	r := do(http.MethodPost, "/v1/donations/offline", map[string]any{"amount_pence": 4000, "method": "cheque", "received_on": time.Now().Format(time.DateOnly),
		"campaign": "winter-appeal", "donor_email": "cy@example.org", "donor_name": "Cy Cash", "reference": "chq 100234", "send_receipt": true}, http.StatusCreated)
	var offline donationRow
	r.JSON(t, &offline)
	var donorID string
	var donors struct{ Items []struct{ ID, Email string } }
	do(http.MethodGet, "/v1/donors?email=cy@example.org", nil, http.StatusOK).JSON(t, &donors)
	if len(donors.Items) != 1 {
		t.Fatalf("donors: %+v", donors)
	}
	donorID = donors.Items[0].ID
	decl["confirmation_sent_on"] = "2026-01-06"
	decl["donor_id"] = donorID
	var d struct{ ID, Postcode string }
	do(http.MethodPost, "/v1/gift-aid/declarations", decl, http.StatusCreated).JSON(t, &d)
	if d.Postcode != "X" {
		t.Errorf("declaration: %+v", d)
	}
	if p := previewClaim(t, srv, treasurer); p.Donations != 1 || p.Rows[0].Postcode != "X" {
		t.Errorf("the offline gift under a standing declaration is not claimable: %+v", p)
	}
	do(http.MethodPost, "/v1/gift-aid/declarations/"+d.ID+"/cancel", nil, http.StatusOK)
	do(http.MethodPost, "/v1/gift-aid/declarations/"+d.ID+"/cancel", nil, http.StatusConflict)
	if p := previewClaim(t, srv, treasurer); p.Donations != 1 {
		t.Errorf("cancelling must not take back a gift made before: %+v", p)
	}
	srv.Mail.WaitFor(t, "cy@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "£40.00") })

	// An online gift refunded in part through Stripe (stripe-mock).
	// (One-off: stripe-mock's invoices name no payment intent, so a monthly
	// gift recorded against it has none to refund.)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 3000, "currency": "GBP", "frequency": "one_off", "campaign": "general"}, "")
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), checkoutCompleted(c.CheckoutID, "general", 3000, "eve@example.org", "Eve", "cus_eve", "pi_eve")))
	online := listDonations(t, srv, treasurer, "?channel=online")
	if len(online) != 1 {
		t.Fatalf("online gifts: %+v", online)
	}
	var refunded donationRow
	do(http.MethodPost, "/v1/donations/"+online[0].ID+"/refunds", map[string]any{"amount_pence": 1000, "reason": "requested_by_customer", "note": "asked by phone"}, http.StatusCreated).JSON(t, &refunded)
	if refunded.RefundedPence != 1000 || refunded.Status != "partially_refunded" {
		t.Fatalf("after refund: %+v", refunded)
	}
	do(http.MethodPost, "/v1/donations/"+online[0].ID+"/refunds", map[string]any{"amount_pence": 2001, "reason": "other"}, http.StatusUnprocessableEntity)
	do(http.MethodGet, "/v1/donations/"+online[0].ID, nil, http.StatusOK)

	// Totals, export, statement.
	year := time.Now().Format("2006")
	var summary struct {
		ByChannel []struct {
			Channel    string `json:"channel"`
			GrossPence int64  `json:"gross_pence"`
		} `json:"by_channel"`
	}
	do(http.MethodGet, "/v1/donations/summary?from="+year+"-01-01&to="+year+"-12-31", nil, http.StatusOK).JSON(t, &summary)
	if len(summary.ByChannel) != 2 {
		t.Errorf("summary: %+v", summary)
	}
	export := do(http.MethodGet, "/v1/donations/export", nil, http.StatusOK)
	if lines := strings.Count(string(export.Body), "\n"); lines != 3 || !strings.Contains(string(export.Body), "chq 100234") {
		t.Errorf("export (%d lines):\n%s", lines, export.Body)
	}
	// The ledger pages with a cursor: one gift a page, each once.
	var first, second struct {
		Items      []donationRow
		NextCursor string `json:"next_cursor"`
	}
	do(http.MethodGet, "/v1/donations?limit=1", nil, http.StatusOK).JSON(t, &first)
	if len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("first page: %+v", first)
	}
	do(http.MethodGet, "/v1/donations?limit=1&cursor="+first.NextCursor, nil, http.StatusOK).JSON(t, &second)
	if len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID {
		t.Fatalf("second page: %+v after %+v", second, first)
	}
	do(http.MethodPost, "/v1/donors/"+donorID+"/statements", map[string]any{"year": time.Now().Year()}, http.StatusAccepted)
	srv.Mail.WaitFor(t, "cy@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "in "+year) })
	do(http.MethodPost, "/v1/donors/"+donorID+"/statements", map[string]any{"year": 2001}, http.StatusConflict)
	var detail struct {
		Donations []any `json:"donations"`
	}
	do(http.MethodGet, "/v1/donors/"+donorID, nil, http.StatusOK).JSON(t, &detail)
	if len(detail.Donations) != 1 {
		t.Errorf("donor detail: %+v", detail)
	}

	// A monthly donor opens Stripe's portal with the link from the receipt; a forged token is refused.
	_, c = startCheckout(t, srv, map[string]any{"amount_pence": 3000, "currency": "GBP", "frequency": "monthly", "campaign": "general"}, "")
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), subscriptionCheckout(c.CheckoutID, 3000, "dee@example.org", "cus_dee", "sub_dee")))
	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_dee", "sub_dee", "cus_dee", "dee@example.org", c.CheckoutID, 3000)))
	receipt := srv.Mail.WaitFor(t, "dee@example.org", 10*time.Second, nil)
	link := receipt.Text[strings.Index(receipt.Text, "https://www.hpa.example/donate/manage?token="):]
	u, err := url.Parse(strings.Fields(link)[0])
	if err != nil {
		t.Fatal(err)
	}
	var portal struct{ URL string }
	pr := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/portal-sessions", Body: map[string]any{"token": u.Query().Get("token")}})
	pr.JSON(t, &portal)
	if pr.StatusCode != http.StatusCreated || portal.URL == "" {
		t.Fatalf("portal: %d %s", pr.StatusCode, pr.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/portal-sessions", Body: map[string]any{"token": u.Query().Get("token") + "x"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged token: %d", r.StatusCode)
	}
}
