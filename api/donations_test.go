package api_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

type checkoutResult struct {
	CheckoutID string `json:"checkout_id"`
	SessionID  string `json:"session_id"`
	URL        string `json:"url"`
}

func giftAid(first, last, scope string) map[string]any {
	return map[string]any{"title": "Ms", "first_name": first, "last_name": last, "house_name_or_number": "12",
		"postcode": "s19 2bd", "scope": scope, "wording_version": "hmrc-model-2026", "uk_taxpayer": true}
}

func startCheckout(t *testing.T, srv *apitest.Server, body map[string]any, key string) (*apitest.Response, checkoutResult) {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/checkout", Body: body, Header: h})
	var c checkoutResult
	if r.StatusCode == http.StatusCreated {
		r.JSON(t, &c)
	}
	return r, c
}

type donationRow struct {
	ID                   string `json:"id"`
	AmountPence          int64  `json:"amount_pence"`
	RefundedPence        int64  `json:"refunded_pence"`
	Status               string `json:"status"`
	Frequency            string `json:"frequency"`
	Campaign             string `json:"campaign"`
	DonorEmail           string `json:"donor_email"`
	GiftAidDeclarationID string `json:"gift_aid_declaration_id"`
	StripeInvoiceID      string `json:"stripe_invoice_id"`
}

func listDonations(t *testing.T, srv *apitest.Server, token, query string) []donationRow {
	t.Helper()
	r := srv.Do(apitest.Request{Path: "/v1/donations" + query, Token: token})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list donations: %d %s", r.StatusCode, r.Body)
	}
	var page struct{ Items []donationRow }
	r.JSON(t, &page)
	return page.Items
}

type previewResult struct {
	Donations       int
	AdjustmentPence int64 `json:"adjustment_pence"`
	Adjustments     []struct {
		DonationID       string `json:"donation_id"`
		ClaimedIn        string `json:"claimed_in"`
		OverclaimedPence int64  `json:"overclaimed_pence"`
		GiftAidPence     int64  `json:"gift_aid_pence"`
	}
	Rows []struct {
		FirstName    string `json:"first_name"`
		LastName     string `json:"last_name"`
		Postcode     string `json:"postcode"`
		Amount       string `json:"amount"`
		DonationDate string `json:"donation_date"`
	}
}

func previewClaim(t *testing.T, srv *apitest.Server, token string) previewResult {
	t.Helper()
	today := time.Now().Format(time.DateOnly)
	r := srv.Do(apitest.Request{Path: "/v1/gift-aid/claims/preview?from=" + today + "&to=" + today, Token: token})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", r.StatusCode, r.Body)
	}
	var p previewResult
	r.JSON(t, &p)
	return p
}

// The story: checkout → signed checkout.session.completed → a gift
// with Gift Aid in the ledger → receipt → duplicate ignored → refund →
// the Gift Aid schedule leaves it out; a second gift is claimed once and
// exported in HMRC's layout.
func TestOneOffGiftWithGiftAidFromCheckoutToClaim(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)

	body := map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "webinars",
		"email": "ann@example.org", "gift_aid": giftAid("Ann", "Lee", "this_gift")}
	r, ann := startCheckout(t, srv, body, "key-ann-1")
	if r.StatusCode != http.StatusCreated || ann.URL == "" || ann.SessionID == "" {
		t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
	}
	// The same request again replays the first answer; another body with the key is refused.
	r2, again := startCheckout(t, srv, body, "key-ann-1")
	if r2.StatusCode != http.StatusCreated || r2.Header.Get("Idempotent-Replayed") != "true" || again.CheckoutID != ann.CheckoutID {
		t.Fatalf("replay: %d %q %s", r2.StatusCode, r2.Header.Get("Idempotent-Replayed"), r2.Body)
	}
	body["amount_pence"] = 3000
	if r3, _ := startCheckout(t, srv, body, "key-ann-1"); r3.StatusCode != http.StatusUnprocessableEntity || r3.Problem(t).Code != "idempotency-key-reused" {
		t.Fatalf("reused key: %d %s", r3.StatusCode, r3.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donation_checkouts`); n != 1 {
		t.Fatalf("%d checkouts, want 1", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donations`); n != 0 {
		t.Fatalf("the ledger has %d gifts before any payment", n)
	}

	completed := stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		checkoutCompleted(ann.CheckoutID, "webinars", 2500, "Ann@Example.org", "Ann Lee", "cus_ann", "pi_ann"))
	if got := sendEvent(t, srv, completed); got != "processed" {
		t.Fatalf("outcome %q", got)
	}
	gifts := listDonations(t, srv, treasurer, "")
	if len(gifts) != 1 || gifts[0].AmountPence != 2500 || gifts[0].Campaign != "webinars" || gifts[0].GiftAidDeclarationID == "" || gifts[0].DonorEmail != "ann@example.org" {
		t.Fatalf("ledger: %+v", gifts)
	}
	receipt := srv.Mail.WaitFor(t, "ann@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "£25.00") })
	if !strings.Contains(receipt.Text, "Gift Aid") || !strings.Contains(receipt.Text, gifts[0].ID) {
		t.Errorf("receipt text: %s", receipt.Text)
	}

	// Stripe delivers the same event again: nothing more happens.
	if got := sendEvent(t, srv, completed); got != "duplicate" {
		t.Fatalf("redelivery outcome %q", got)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donations`); n != 1 {
		t.Fatalf("%d gifts after a redelivery", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind = 'mail.send' AND args->>'template' = 'donation-receipt'`); n != 1 {
		t.Fatalf("%d receipts queued", n)
	}
	if p := previewClaim(t, srv, treasurer); p.Donations != 1 || p.Rows[0].LastName != "Lee" || p.Rows[0].Postcode != "S19 2BD" || p.Rows[0].Amount != "25.00" {
		t.Fatalf("preview before refund: %+v", p)
	}

	// A refund larger than the gift is refused; Stripe's refund event updates the ledger.
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/" + gifts[0].ID + "/refunds", Token: treasurer,
		Body: map[string]any{"amount_pence": 2501, "reason": "requested_by_customer"}}); r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "refund-exceeds-gift" {
		t.Fatalf("oversized refund: %d %s", r.StatusCode, r.Body)
	}
	if got := sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", time.Now(), chargeRefunded("ch_ann", "pi_ann", 2500, 2500))); got != "processed" {
		t.Fatalf("refund outcome %q", got)
	}
	if g := listDonations(t, srv, treasurer, ""); g[0].Status != "refunded" || g[0].RefundedPence != 2500 {
		t.Fatalf("after refund: %+v", g[0])
	}
	if p := previewClaim(t, srv, treasurer); p.Donations != 0 {
		t.Fatalf("the refunded gift is still in the Gift Aid schedule: %+v", p)
	}

	// A second donor's gift is claimed once, and its schedule is HMRC's layout.
	_, bob := startCheckout(t, srv, map[string]any{"amount_pence": 5000, "currency": "GBP", "frequency": "one_off", "campaign": "general",
		"gift_aid": giftAid("Bob", "House-Martin", "this_and_future")}, "")
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		checkoutCompleted(bob.CheckoutID, "general", 5000, "bob@example.org", "Bob House-Martin", "cus_bob", "pi_bob")))
	today := time.Now().Format(time.DateOnly)
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: treasurer, Body: map[string]any{"from": today, "to": today}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.StatusCode, r.Body)
	}
	var made struct {
		Claim struct {
			ID           string `json:"id"`
			Donations    int    `json:"donations"`
			GiftAidPence int64  `json:"gift_aid_pence"`
		}
	}
	r.JSON(t, &made)
	if made.Claim.Donations != 1 || made.Claim.GiftAidPence != 1250 {
		t.Fatalf("claim: %s", r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: treasurer, Body: map[string]any{"from": today, "to": today}}); r.StatusCode != http.StatusConflict || r.Problem(t).Code != "nothing-to-claim" {
		t.Fatalf("second claim: %d %s", r.StatusCode, r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/gift-aid/claims/" + made.Claim.ID + "/schedule", Token: treasurer})
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("schedule: %d %s", r.StatusCode, r.Body)
	}
	lines, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantDate := time.Now().In(time.FixedZone("", 0)).Format("02/01/06")
	if len(lines) != 2 || strings.Join(lines[0], ",") != "Title,First name,Last name,House name or number,Postcode,Aggregated donations,Sponsored event,Donation date,Amount" ||
		strings.Join(lines[1][:5], ",") != "Ms,Bob,House Martin,12,S19 2BD" || lines[1][8] != "50.00" || len(lines[1][7]) != 8 {
		t.Fatalf("schedule CSV:\n%s (date like %s)", r.Body, wantDate)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action LIKE 'gift_aid.%' AND details::text ILIKE '%bob%'`); n != 0 {
		t.Error("the audit log holds personal data")
	}
}

// memberGives checks out body with a member token and has Stripe confirm
// the payment (customer cus_<ref>, payment pi_<ref>).
func memberGives(t *testing.T, srv *apitest.Server, token string, body map[string]any, email, name, ref string) {
	t.Helper()
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/checkout", Token: token, Body: body})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("member checkout: %d %s", r.StatusCode, r.Body)
	}
	var c checkoutResult
	r.JSON(t, &c)
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		checkoutCompleted(c.CheckoutID, body["campaign"].(string), int64(body["amount_pence"].(int)), email, name, "cus_"+ref, "pi_"+ref)))
}

// A member who gives while signed in sees the gift in their own history;
// nobody else's.
func TestMembersSeeTheirOwnGifts(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	member := srv.MemberToken(t, "giver@example.org")
	other := srv.MemberToken(t, "other@example.org")
	memberGives(t, srv, member, map[string]any{"amount_pence": 1200, "currency": "GBP", "frequency": "one_off", "campaign": "website"},
		"giver@example.org", "Giver", "giver")
	var mine struct {
		Donations []struct {
			AmountPence int64  `json:"amount_pence"`
			Campaign    string `json:"campaign"`
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/me/donations", Token: member})
	r.JSON(t, &mine)
	if r.StatusCode != http.StatusOK || len(mine.Donations) != 1 || mine.Donations[0].AmountPence != 1200 || mine.Donations[0].Campaign != "website" {
		t.Fatalf("my donations: %d %s", r.StatusCode, r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/me/donations", Token: other})
	if r.StatusCode != http.StatusOK || strings.Contains(string(r.Body), "website") {
		t.Fatalf("another member sees the gift: %s", r.Body)
	}
}

// A monthly gift paid over three invoices is three gifts, whatever order
// and however often Stripe delivers the events.
func TestMonthlyGiftOverThreeInvoices(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	r, c := startCheckout(t, srv, map[string]any{"amount_pence": 1000, "currency": "GBP", "frequency": "monthly", "campaign": "campaigning",
		"gift_aid": giftAid("Mo", "Nthly", "this_and_future")}, "")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
	}
	invoice := func(n string) []byte {
		return stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_"+n, "sub_mo", "cus_mo", "mo@example.org", c.CheckoutID, 1000))
	}
	first, second, third := invoice("1"), invoice("2"), invoice("3")
	// The first invoice arrives before the checkout event; the third before the second; the second twice.
	for _, ev := range [][]byte{first,
		stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), subscriptionCheckout(c.CheckoutID, 1000, "mo@example.org", "cus_mo", "sub_mo")),
		third, second, second} {
		sendEvent(t, srv, ev)
	}
	gifts := listDonations(t, srv, treasurer, "?frequency=monthly")
	if len(gifts) != 3 {
		t.Fatalf("%d monthly gifts, want 3: %+v", len(gifts), gifts)
	}
	for _, g := range gifts {
		if g.AmountPence != 1000 || g.Campaign != "campaigning" || g.DonorEmail != "mo@example.org" {
			t.Errorf("gift %+v", g)
		}
	}
	if p := previewClaim(t, srv, treasurer); p.Donations != 3 {
		t.Errorf("Gift Aid covers %d of the 3 monthly gifts", p.Donations)
	}
	receipt := srv.Mail.WaitFor(t, "mo@example.org", 10*time.Second, nil)
	if !strings.Contains(receipt.Text, "https://www.hpa.example/donate/manage?token=") {
		t.Errorf("monthly receipt has no management link: %s", receipt.Text)
	}

	// The donor cancels in the portal; an older event arriving late changes nothing.
	sub := func(status string, cancel bool, at time.Time) []byte {
		return stripemock.Event(newEventID(), "customer.subscription.updated", at, map[string]any{"id": "sub_mo", "object": "subscription",
			"status": status, "customer": "cus_mo", "cancel_at_period_end": cancel, "metadata": map[string]any{"hpa_checkout_id": c.CheckoutID},
			"items": map[string]any{"object": "list", "data": []any{map[string]any{"price": map[string]any{"unit_amount": 1000}, "quantity": 1, "current_period_end": time.Now().Add(720 * time.Hour).Unix()}}}})
	}
	sendEvent(t, srv, sub("active", true, time.Now()))
	sendEvent(t, srv, sub("past_due", false, time.Now().Add(-time.Hour)))
	var status string
	var cancelling bool
	if err := srv.Pool.QueryRow(t.Context(), `SELECT status, cancel_at_period_end FROM donation_subscriptions WHERE stripe_subscription_id = 'sub_mo'`).Scan(&status, &cancelling); err != nil {
		t.Fatal(err)
	}
	if status != "active" || !cancelling {
		t.Errorf("subscription %s cancelling=%v: an older event overwrote a newer one", status, cancelling)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "customer.subscription.deleted", time.Now().Add(time.Minute), map[string]any{"id": "sub_mo", "object": "subscription",
		"status": "canceled", "customer": "cus_mo", "canceled_at": time.Now().Unix(), "items": map[string]any{"object": "list", "data": []any{}}}))
	if n := countRows(t, srv, `SELECT count(*) FROM donation_subscriptions WHERE status = 'canceled'`); n != 1 {
		t.Error("the deleted subscription is not cancelled in the ledger")
	}
}

// A member who gave with Gift Aid while signed in can see and cancel their
// declaration and ask for a statement; another member can do neither.
func TestMembersManageTheirOwnGiftAidAndStatements(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	member := srv.MemberToken(t, "aidan@example.org")
	other := srv.MemberToken(t, "nosy@example.org")
	memberGives(t, srv, member, map[string]any{"amount_pence": 2000, "currency": "GBP", "frequency": "one_off", "campaign": "general",
		"gift_aid": giftAid("Aidan", "Giver", "this_and_future")}, "aidan@example.org", "Aidan Giver", "aidan")

	var mine []struct {
		ID          string     `json:"id"`
		FirstName   string     `json:"first_name"`
		Scope       string     `json:"scope"`
		CancelledAt *time.Time `json:"cancelled_at"`
	}
	r := srv.Do(apitest.Request{Path: "/v1/me/gift-aid-declarations", Token: member})
	r.JSON(t, &mine)
	if r.StatusCode != http.StatusOK || len(mine) != 1 || mine[0].FirstName != "Aidan" || mine[0].Scope != "this_and_future" || mine[0].CancelledAt != nil {
		t.Fatalf("my declarations: %d %s", r.StatusCode, r.Body)
	}
	var theirs []any
	r = srv.Do(apitest.Request{Path: "/v1/me/gift-aid-declarations", Token: other})
	if r.JSON(t, &theirs); r.StatusCode != http.StatusOK || len(theirs) != 0 {
		t.Fatalf("another member's declarations: %d %s", r.StatusCode, r.Body)
	}
	cancel := "/v1/me/gift-aid-declarations/" + mine[0].ID + "/cancel"
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: cancel, Token: other}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("another member cancels: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: cancel, Token: member}); r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"cancelled_at"`) {
		t.Fatalf("cancel: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: cancel, Token: member}); r.StatusCode != http.StatusConflict || r.Problem(t).Code != "declaration-already-cancelled" {
		t.Fatalf("second cancel: %d %s", r.StatusCode, r.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'gift_aid.declaration_cancel' AND actor_type = 'member'`); n != 1 {
		t.Errorf("member cancellations audited: %d", n)
	}
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	if p := previewClaim(t, srv, treasurer); p.Donations != 1 {
		t.Errorf("the gift made before cancelling stays claimable: %+v", p)
	}

	statement := func(token string, year int) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/me/donations/statements", Token: token, Body: map[string]any{"year": year}})
	}
	if r := statement(member, time.Now().Year()); r.StatusCode != http.StatusAccepted {
		t.Fatalf("statement: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, "aidan@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "in "+time.Now().Format("2006")) })
	for _, tc := range []struct {
		token string
		year  int
	}{{member, 2001}, {other, time.Now().Year()}} {
		if r := statement(tc.token, tc.year); r.StatusCode != http.StatusConflict || r.Problem(t).Code != "no-gifts-in-year" {
			t.Errorf("statement for %d: %d %s", tc.year, r.StatusCode, r.Body)
		}
	}
	if r := statement(member, 1999); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("statement for 1999: %d", r.StatusCode)
	}
}
