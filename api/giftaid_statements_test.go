package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// A donor's statement covers a UK tax year (6 April to 5 April) as well
// as a calendar year, and marks the gifts Gift Aid applies to.
func TestStatementsByUKTaxYear(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, nil)
	today := ukToday()
	y := today.Year()
	if today.Before(time.Date(y, time.April, 6, 0, 0, 0, 0, time.UTC)) {
		y--
	}
	apr5, apr6 := time.Date(y, time.April, 5, 0, 0, 0, 0, time.UTC), time.Date(y, time.April, 6, 0, 0, 0, 0, time.UTC)
	var first offlineGift
	d.do(http.MethodPost, "/v1/donations/offline", map[string]any{"amount_pence": 1100, "method": "cheque", "received_on": day(apr5),
		"campaign": "general", "donor_email": "hal@example.org", "donor_name": "Hal Tax"}, http.StatusCreated).JSON(t, &first)
	d.declare(first.DonorID, "Hal", "this_and_future", day(apr6), nil)
	d.gift(first.DonorID, 2200, day(apr6), "")

	taxYear := fmt.Sprintf("%d-%02d", y, (y+1)%100)
	d.do(http.MethodPost, "/v1/donors/"+first.DonorID+"/statements", map[string]any{"year": y, "basis": "tax_year"}, http.StatusAccepted)
	m := d.srv.Mail.WaitFor(t, "hal@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, taxYear) })
	if !strings.Contains(m.Text, "£22.00") || strings.Contains(m.Text, "£11.00") || !strings.Contains(m.Text, "6 April "+fmt.Sprint(y)) {
		t.Errorf("the %s statement:\n%s", taxYear, m.Text)
	}
	line := m.Text[strings.Index(m.Text, "£22.00"):]
	if line = line[:strings.Index(line, "\n")]; !strings.Contains(line, "Gift Aid") {
		t.Errorf("the statement does not mark the gift Gift Aid covers: %q", line)
	}

	d.do(http.MethodPost, "/v1/donors/"+first.DonorID+"/statements", map[string]any{"year": y}, http.StatusAccepted)
	m = d.srv.Mail.WaitFor(t, "hal@example.org", 10*time.Second, func(m mailtest.Message) bool {
		return strings.HasSuffix(m.Subject, fmt.Sprintf("in %d", y))
	})
	if !strings.Contains(m.Text, "£22.00") || !strings.Contains(m.Text, "£11.00") {
		t.Errorf("the %d calendar-year statement:\n%s", y, m.Text)
	}
	// 5 April belongs to the tax year before.
	before := fmt.Sprintf("%d-%02d", y-1, y%100)
	d.do(http.MethodPost, "/v1/donors/"+first.DonorID+"/statements", map[string]any{"year": y - 1, "basis": "tax_year"}, http.StatusAccepted)
	m = d.srv.Mail.WaitFor(t, "hal@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, before) })
	if !strings.Contains(m.Text, "£11.00") || strings.Contains(m.Text, "£22.00") {
		t.Errorf("the %s statement:\n%s", before, m.Text)
	}
	d.problem(http.MethodPost, "/v1/donors/"+first.DonorID+"/statements", map[string]any{"year": y - 2, "basis": "tax_year"}, http.StatusConflict, "no-gifts-in-year")
}

// Every monthly gift's receipt says Gift Aid applies when the donor's
// declaration covers it, not only the gift the declaration was made with.
func TestEveryMonthlyReceiptMentionsGiftAid(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	_, c := startCheckout(t, srv, map[string]any{"amount_pence": 1500, "currency": "GBP", "frequency": "monthly", "campaign": "general",
		"gift_aid": giftAid("Mo", "Monthly", "this_and_future")}, "")
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), subscriptionCheckout(c.CheckoutID, 1500, "mo@example.org", "cus_mo", "sub_mo")))
	for _, n := range []string{"1", "2"} {
		sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_mo"+n, "sub_mo", "cus_mo", "mo@example.org", c.CheckoutID, 1500)))
	}
	apitest.Eventually(t, 10*time.Second, "two receipts", func() bool { return len(srv.Mail.To("mo@example.org")) == 2 })
	for i, m := range srv.Mail.To("mo@example.org") {
		if !strings.Contains(m.Text, "Gift Aid") {
			t.Errorf("receipt %d does not mention Gift Aid:\n%s", i+1, m.Text)
		}
	}
}
