package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

type monthEnd struct {
	ByCampaign []monthEndLine `json:"by_campaign"`
	Total      monthEndLine   `json:"total"`
}

type monthEndLine struct {
	Campaign      string `json:"campaign"`
	GrossPence    int64  `json:"gross_pence"`
	GiftCount     int64  `json:"gift_count"`
	RefundsPence  int64  `json:"refunds_pence"`
	DisputesPence int64  `json:"disputes_pence"`
	FeesPence     int64  `json:"fees_pence"`
	NetPence      int64  `json:"net_pence"`
	GiftAidPence  int64  `json:"gift_aid_pence"`
}

// A closed month stays closed: last month's gifts refunded (through HPA
// and in Stripe's dashboard), disputed and claimed for Gift Aid this
// month (the claim then voided), every Stripe event delivered twice,
// leave last month's report byte for byte as it was; the money movements
// are this month's entries, one each.
func TestClosedMonthNeverChanges(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	now := time.Now().In(donations.London)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, donations.London)
	lastMonth := thisMonth.AddDate(0, -1, 0)
	paid := lastMonth.AddDate(0, 0, 14).Add(10 * time.Hour)
	give := func(ref string, pence int64, gift map[string]any) string {
		t.Helper()
		body := map[string]any{"amount_pence": pence, "currency": "GBP", "frequency": "one_off", "campaign": "general"}
		if gift != nil {
			body["gift_aid"] = gift
		}
		_, c := startCheckout(t, srv, body, "")
		ev := stripemock.Event(newEventID(), "checkout.session.completed", paid, checkoutCompleted(c.CheckoutID, "general", pence, ref+"@example.org", ref, "cus_"+ref, "pi_"+ref))
		sendEvent(t, srv, ev)
		sendEvent(t, srv, ev) // a redelivery
		for _, g := range listDonations(t, srv, treasurer, "") {
			if g.DonorEmail == ref+"@example.org" {
				return g.ID
			}
		}
		t.Fatalf("no gift from %s", ref)
		return ""
	}
	report := func(month time.Time) []byte {
		t.Helper()
		r := srv.Do(apitest.Request{Path: "/v1/ledger/month-end?month=" + month.Format("2006-01"), Token: treasurer})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("month-end: %d %s", r.StatusCode, r.Body)
		}
		return r.Body
	}
	summary := func(month time.Time) []byte {
		t.Helper()
		r := srv.Do(apitest.Request{Path: "/v1/donations/summary?from=" + month.Format(time.DateOnly) + "&to=" + month.AddDate(0, 1, -1).Format(time.DateOnly), Token: treasurer})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("summary: %d %s", r.StatusCode, r.Body)
		}
		return r.Body
	}
	refunded := give("rae", 4000, nil)
	give("dov", 2000, nil)
	give("sam", 3000, nil)
	give("nia", 5000, giftAid("Nia", "Rees", "this_gift"))
	closed, closedSummary := report(lastMonth), summary(lastMonth)
	var before monthEnd
	if err := json.Unmarshal(closed, &before); err != nil {
		t.Fatal(err)
	}
	if before.Total.GrossPence != 14000 || before.Total.GiftCount != 4 || before.Total.NetPence != 14000 || before.Total.RefundsPence != 0 {
		t.Fatalf("last month before: %s", closed)
	}

	// This month: a refund through HPA, one made in Stripe's dashboard, a
	// dispute with its fee, a Gift Aid claim filed; each event twice.
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/" + refunded + "/refunds", Token: treasurer,
		Body: map[string]any{"amount_pence": 1000, "reason": "requested_by_customer"}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("refund: %d %s", r.StatusCode, r.Body)
	}
	for range 2 {
		sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", now, chargeRefunded("ch_sam", "pi_sam", 3000, 500)))
		sendEvent(t, srv, stripemock.Event(newEventID(), "charge.dispute.funds_withdrawn", now, dispute("du_dov", "pi_dov", "needs_response", 2000, 1500)))
	}
	var claim struct{ Claim struct{ ID string } }
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: treasurer,
		Body: map[string]any{"from": lastMonth.Format(time.DateOnly), "to": thisMonth.AddDate(0, 0, -1).Format(time.DateOnly)}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &claim)
	submit := func(want int) {
		t.Helper()
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims/" + claim.Claim.ID + "/submit", Token: treasurer, Body: map[string]any{}}); r.StatusCode != want {
			t.Fatalf("submit: %d %s, want %d", r.StatusCode, r.Body, want)
		}
	}
	submit(http.StatusOK)
	submit(http.StatusConflict) // submitted already: no second entry

	if after := report(lastMonth); !bytes.Equal(after, closed) {
		t.Fatalf("last month's report changed:\nbefore %s\nafter  %s", closed, after)
	}
	if after := summary(lastMonth); !bytes.Equal(after, closedSummary) {
		t.Fatalf("last month's summary changed:\nbefore %s\nafter  %s", closedSummary, after)
	}
	var moved struct {
		ByCampaign []struct {
			Campaign   string `json:"campaign"`
			TotalPence int64  `json:"total_pence"`
		} `json:"by_campaign"`
		ByMonth []struct {
			GrossPence    int64 `json:"gross_pence"`
			RefundedPence int64 `json:"refunded_pence"`
			DisputedPence int64 `json:"disputed_pence"`
			FeePence      int64 `json:"fee_pence"`
			GiftCount     int64 `json:"gift_count"`
		} `json:"by_month"`
	}
	if err := json.Unmarshal(summary(thisMonth), &moved); err != nil {
		t.Fatal(err)
	}
	if len(moved.ByMonth) != 1 || moved.ByMonth[0].GrossPence != 0 || moved.ByMonth[0].RefundedPence != 1500 ||
		moved.ByMonth[0].DisputedPence != 2000 || moved.ByMonth[0].FeePence != 1500 || moved.ByMonth[0].GiftCount != 0 {
		t.Errorf("this month's summary by month: %+v, want 15.00 refunded, 20.00 disputed, 15.00 in fees", moved.ByMonth)
	}
	for _, c := range moved.ByCampaign {
		if c.Campaign == "general" && c.TotalPence != -3500 {
			t.Errorf("this month's total for general: %d, want -3500 (refunds and the dispute)", c.TotalPence)
		}
	}
	var current monthEnd
	if err := json.Unmarshal(report(thisMonth), &current); err != nil {
		t.Fatal(err)
	}
	want := monthEndLine{Campaign: "", RefundsPence: -1500, DisputesPence: -2000, FeesPence: -1500, NetPence: -5000, GiftAidPence: 1250}
	if current.Total != want {
		t.Fatalf("this month: %+v, want %+v", current.Total, want)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM ledger_entries`); n != 4+2+2+1 {
		t.Errorf("%d ledger entries, want 9 (4 gifts, 2 refunds, a dispute and its fee, Gift Aid)", n)
	}
	// Withdrawing the filed claim takes its Gift Aid out of the books again,
	// this month; last month stays as it was.
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims/" + claim.Claim.ID + "/void", Token: treasurer,
		Body: map[string]any{"reason": "filed for the wrong period"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("void: %d %s", r.StatusCode, r.Body)
	}
	var voided monthEnd
	if err := json.Unmarshal(report(thisMonth), &voided); err != nil {
		t.Fatal(err)
	}
	if voided.Total.GiftAidPence != 0 || voided.Total.NetPence != -5000 {
		t.Errorf("this month after the claim was voided: %+v", voided.Total)
	}
	if after := report(lastMonth); !bytes.Equal(after, closed) {
		t.Fatalf("last month's report changed when the claim was voided:\nbefore %s\nafter  %s", closed, after)
	}
	if _, err := srv.Pool.Exec(t.Context(), `UPDATE ledger_entries SET amount_pence = 0`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("an entry was changed: %v", err)
	}

	// The entries, and the accountant's exports of them.
	var page struct {
		Items []struct {
			Kind        string `json:"kind"`
			AmountPence int64  `json:"amount_pence"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/ledger/entries?kind=refund&from=" + thisMonth.Format(time.DateOnly), Token: treasurer}).JSON(t, &page)
	if len(page.Items) != 2 || page.Items[0].AmountPence+page.Items[1].AmountPence != -1500 {
		t.Errorf("refund entries: %+v", page)
	}
	period := "from=" + lastMonth.Format(time.DateOnly) + "&to=" + lastMonth.AddDate(0, 1, -1).Format(time.DateOnly) + "&campaign=general"
	xero := exportRows(t, srv, treasurer, "/v1/ledger/export?layout=xero&"+period)
	paidOn := paid.Format("02/01/2006")
	if len(xero) != 5 || strings.Join(xero[0], ",") != "*Date,*Amount,Payee,Description,Reference,Cheque Number" ||
		xero[1][0] != paidOn || xero[1][1] != "40.00" || xero[1][2] != "Stripe" || xero[1][4] != "gift:"+refunded ||
		!strings.HasPrefix(xero[1][3], "Gift: Where it is needed most (gift ") {
		t.Errorf("xero export: %q", xero)
	}
	qb := exportRows(t, srv, treasurer, "/v1/ledger/export?layout=quickbooks&from="+thisMonth.Format(time.DateOnly))
	amounts := map[string]string{}
	for _, row := range qb[1:] {
		amounts[strings.SplitN(row[1], ":", 2)[0]+" "+row[2]] = row[0]
	}
	for _, want := range []string{"Refund -10.00", "Refund -5.00", "Dispute -20.00", "Dispute fee -15.00", "Gift Aid claimed 12.50", "Gift Aid claimed -12.50"} {
		if amounts[want] != now.Format("02/01/2006") {
			t.Errorf("quickbooks export has no %q today: %q", want, qb)
		}
	}
	if len(qb) != 7 || strings.Join(qb[0], ",") != "Date,Description,Amount" {
		t.Errorf("quickbooks export: %q", qb)
	}
}

func exportRows(t *testing.T, srv *apitest.Server, token, path string) [][]string {
	t.Helper()
	r := srv.Do(apitest.Request{Path: path, Token: token})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", path, r.StatusCode, r.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, r.Body)
	}
	return rows
}
