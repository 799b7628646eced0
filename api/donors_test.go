package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

type donorRow struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	MemberID string `json:"member_id"`
}

// donorsWithEmail is the treasurer's search of donors by address.
func donorsWithEmail(t *testing.T, srv *apitest.Server, treasurer, email string) []donorRow {
	t.Helper()
	r := srv.Do(apitest.Request{Path: "/v1/donors?email=" + url.QueryEscape(email), Token: treasurer})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("donors by email: %d %s", r.StatusCode, r.Body)
	}
	var page struct{ Items []donorRow }
	r.JSON(t, &page)
	return page.Items
}

// anonymousGives checks out body without signing in and has Stripe
// confirm the payment (customer cus_<ref>, payment pi_<ref>).
func anonymousGives(t *testing.T, srv *apitest.Server, body map[string]any, email, name, ref string) {
	t.Helper()
	r, c := startCheckout(t, srv, body, "")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
	}
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
		checkoutCompleted(c.CheckoutID, body["campaign"].(string), int64(body["amount_pence"].(int)), email, name, "cus_"+ref, "pi_"+ref)))
}

// An email typed into Stripe is a claim, not an identity. A member who
// gives £1 with someone else's address is not linked to that person's
// donor record: they see none of that person's gifts or Gift Aid details
// and cannot cancel their declaration; an anonymous payer using the
// address does not rename the record. Each payer gets a record of their own.
func TestAnEmailTypedAtCheckoutLinksNoOneToAnotherDonor(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	anonymousGives(t, srv, map[string]any{"amount_pence": 5000, "currency": "GBP", "frequency": "one_off", "campaign": "general",
		"gift_aid": giftAid("Victoria", "Quayle", "this_and_future")}, "victoria@example.org", "Victoria Quayle", "victoria")
	victims := donorsWithEmail(t, srv, treasurer, "victoria@example.org")
	if len(victims) != 1 || victims[0].Name != "Victoria Quayle" {
		t.Fatalf("the victim's donor record: %+v", victims)
	}
	victim := victims[0]

	attacker := srv.MemberToken(t, "mallory@example.org")
	memberGives(t, srv, attacker, map[string]any{"amount_pence": 100, "currency": "GBP", "frequency": "one_off", "campaign": "website",
		"email": "victoria@example.org"}, "victoria@example.org", "Mallory Renamed", "mallory")

	var giving struct {
		Donations []struct {
			AmountPence int64 `json:"amount_pence"`
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/me/donations", Token: attacker})
	r.JSON(t, &giving)
	if r.StatusCode != http.StatusOK || len(giving.Donations) != 1 || giving.Donations[0].AmountPence != 100 {
		t.Errorf("the attacker's gifts should be their own £1 alone: %d %s", r.StatusCode, r.Body)
	}
	r = srv.Do(apitest.Request{Path: "/v1/me/gift-aid-declarations", Token: attacker})
	if r.StatusCode != http.StatusOK || strings.Contains(string(r.Body), "Quayle") || strings.Contains(string(r.Body), "S19") {
		t.Errorf("the attacker sees the victim's Gift Aid details: %d %s", r.StatusCode, r.Body)
	}
	if records := donorsWithEmail(t, srv, treasurer, "victoria@example.org"); len(records) != 2 {
		t.Errorf("%d donor records with the address after the attacker's gift, want 2 (the victim's and the attacker's): %+v", len(records), records)
	}
	var declarations struct{ Items []struct{ ID string } }
	srv.Do(apitest.Request{Path: "/v1/gift-aid/declarations?donor_id=" + victim.ID, Token: treasurer}).JSON(t, &declarations)
	if len(declarations.Items) != 1 {
		t.Fatalf("the victim's declarations: %+v", declarations)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/me/gift-aid-declarations/" + declarations.Items[0].ID + "/cancel", Token: attacker}); r.StatusCode != http.StatusNotFound {
		t.Errorf("the attacker cancels the victim's declaration: %d %s", r.StatusCode, r.Body)
	}

	// An anonymous payer with the same address renames nothing either.
	anonymousGives(t, srv, map[string]any{"amount_pence": 100, "currency": "GBP", "frequency": "one_off", "campaign": "general"},
		"victoria@example.org", "Not Victoria", "anon")
	var detail donorRow
	srv.Do(apitest.Request{Path: "/v1/donors/" + victim.ID, Token: treasurer}).JSON(t, &detail)
	if detail.Name != "Victoria Quayle" || detail.MemberID != "" {
		t.Errorf("the victim's donor record changed: %+v", detail)
	}
	if records := donorsWithEmail(t, srv, treasurer, "victoria@example.org"); len(records) != 3 {
		t.Errorf("%d donor records with the address, want one per payer (3): %+v", len(records), records)
	}
	var gifts struct {
		Donations []struct{ ID string } `json:"donations"`
	}
	srv.Do(apitest.Request{Path: "/v1/donors/" + victim.ID, Token: treasurer}).JSON(t, &gifts)
	if len(gifts.Donations) != 1 {
		t.Errorf("the victim's record holds %d gifts, want their own one", len(gifts.Donations))
	}
}

// A donor's address is sealed at rest, like members': nowhere in the
// database in clear, yet the treasurer still finds the donor by it, sees
// it, and receipts and statements still reach it.
func TestDonorEmailIsSealedAtRest(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	anonymousGives(t, srv, map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general"},
		"Zebedee.Quarrington@example.org", "Zebedee Q", "zeb")
	srv.Mail.WaitFor(t, "zebedee.quarrington@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "£25.00") })
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donations/offline", Token: treasurer, Body: map[string]any{"amount_pence": 1000,
		"method": "cheque", "received_on": time.Now().Format(time.DateOnly), "campaign": "general", "donor_email": "yolanda.offline@example.org", "send_receipt": true}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("offline gift: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, "yolanda.offline@example.org", 10*time.Second, nil)

	// River keeps a sent email's job (and its address) for a day: that
	// is the outbox's retention (docs/privacy.md), not the donor record.
	if _, err := srv.Pool.Exec(t.Context(), `DELETE FROM river_job`); err != nil {
		t.Fatal(err)
	}
	dump := strings.ToLower(srv.Dump(t))
	for _, address := range []string{"zebedee.quarrington", "yolanda.offline"} {
		if strings.Contains(dump, address) {
			t.Errorf("the database holds %q in clear", address)
		}
	}

	found := donorsWithEmail(t, srv, treasurer, "ZEBEDEE.QUARRINGTON+gift@example.org")
	if len(found) != 1 || found[0].Email != "zebedee.quarrington@example.org" || found[0].Name != "Zebedee Q" {
		t.Fatalf("the treasurer's search by address: %+v", found)
	}
	if gifts := listDonations(t, srv, treasurer, "?donor_id="+found[0].ID); len(gifts) != 1 || gifts[0].DonorEmail != "zebedee.quarrington@example.org" {
		t.Errorf("the ledger's donor address: %+v", gifts)
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donors/" + found[0].ID + "/statements", Token: treasurer, Body: map[string]any{"year": time.Now().Year()}})
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("statement: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, "zebedee.quarrington@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "in "+time.Now().Format("2006")) })
}

// monthlyGives has Stripe confirm an anonymous monthly checkout and its
// first invoice (customer cus_<ref>, subscription sub_<ref>).
func monthlyGives(t *testing.T, srv *apitest.Server, body map[string]any, email, ref string) string {
	t.Helper()
	r, c := startCheckout(t, srv, body, "")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.StatusCode, r.Body)
	}
	amount := int64(body["amount_pence"].(int))
	sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(), subscriptionCheckout(c.CheckoutID, amount, email, "cus_"+ref, "sub_"+ref)))
	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_"+ref+"_1", "sub_"+ref, "cus_"+ref, email, c.CheckoutID, amount)))
	return c.CheckoutID
}

// One person gave twice, once signed in and once not: two donor records.
// A treasurer merges them: the gifts, the subscription and the Gift Aid
// declaration move to the surviving record (and so into the member's own
// view), Stripe's later events for the merged record's customer land on
// it, and the merge is audited with both IDs. What cannot be merged is
// refused with a clear code.
func TestTreasurerMergesDonors(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	member := srv.MemberToken(t, "gwen@example.org")
	memberGives(t, srv, member, map[string]any{"amount_pence": 1500, "currency": "GBP", "frequency": "one_off", "campaign": "website"},
		"gwen@example.org", "Gwen Giver", "gwen1")
	checkout := monthlyGives(t, srv, map[string]any{"amount_pence": 700, "currency": "GBP", "frequency": "monthly", "campaign": "general",
		"gift_aid": giftAid("Gwen", "Giver", "this_and_future")}, "gwen@example.org", "gwen2")
	records := donorsWithEmail(t, srv, treasurer, "gwen@example.org")
	if len(records) != 2 {
		t.Fatalf("donor records: %+v", records)
	}
	var survivor, merged donorRow
	for _, d := range records {
		if d.MemberID != "" {
			survivor = d
		} else {
			merged = d
		}
	}
	if survivor.ID == "" || merged.ID == "" {
		t.Fatalf("want one record linked to the member and one not: %+v", records)
	}
	var mine struct {
		Subscriptions []any `json:"subscriptions"`
		Donations     []any `json:"donations"`
	}
	srv.Do(apitest.Request{Path: "/v1/me/donations", Token: member}).JSON(t, &mine)
	if len(mine.Donations) != 1 || len(mine.Subscriptions) != 0 {
		t.Fatalf("before the merge the member sees only the gift made signed in: %+v", mine)
	}

	merge := func(token, into string, body any) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/donors/" + into + "/merge", Token: token, Body: body})
	}
	other := srv.MemberToken(t, "someone.else@example.org")
	memberGives(t, srv, other, map[string]any{"amount_pence": 100, "currency": "GBP", "frequency": "one_off", "campaign": "general"},
		"someone.else@example.org", "Someone Else", "else")
	elsewhere := donorsWithEmail(t, srv, treasurer, "someone.else@example.org")[0]
	for _, tc := range []struct {
		name, into string
		body       any
		status     int
		code       string
	}{
		{"itself", survivor.ID, map[string]any{"donor_id": survivor.ID}, http.StatusUnprocessableEntity, "validation-failed"},
		{"an unknown donor", survivor.ID, map[string]any{"donor_id": "00000000-0000-4000-8000-000000000000"}, http.StatusUnprocessableEntity, "validation-failed"},
		{"not a UUID", survivor.ID, map[string]any{"donor_id": "gwen"}, http.StatusUnprocessableEntity, "validation-failed"},
		{"into an unknown donor", "00000000-0000-4000-8000-000000000000", map[string]any{"donor_id": merged.ID}, http.StatusNotFound, "not-found"},
		{"two members' records", survivor.ID, map[string]any{"donor_id": elsewhere.ID}, http.StatusConflict, "donors-linked-to-different-members"},
	} {
		if r := merge(treasurer, tc.into, tc.body); r.StatusCode != tc.status || r.Problem(t).Code != tc.code {
			t.Errorf("merging %s: %d %s, want %d %s", tc.name, r.StatusCode, r.Body, tc.status, tc.code)
		}
	}
	if r := merge(srv.StaffToken(t, identity.RoleMembership), survivor.ID, map[string]any{"donor_id": merged.ID}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a non-treasurer merges: %d", r.StatusCode)
	}

	r := merge(treasurer, survivor.ID, map[string]any{"donor_id": merged.ID})
	var after struct {
		donorRow
		Subscriptions []any `json:"subscriptions"`
		Donations     []any `json:"donations"`
	}
	r.JSON(t, &after)
	if r.StatusCode != http.StatusOK || after.ID != survivor.ID || len(after.Donations) != 2 || len(after.Subscriptions) != 1 || after.Name != "Gwen Giver" {
		t.Fatalf("merge: %d %s", r.StatusCode, r.Body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'donor.merge' AND target_id = $1 AND details->>'merged_donor_id' = $2 AND actor_type = 'staff'`,
		survivor.ID, merged.ID); n != 1 {
		t.Errorf("merge audited %d times", n)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/donors/" + merged.ID, Token: treasurer}); r.StatusCode != http.StatusNotFound || r.Problem(t).Code != "donor-merged" {
		t.Errorf("the merged record: %d %s", r.StatusCode, r.Body)
	}
	if records := donorsWithEmail(t, srv, treasurer, "gwen@example.org"); len(records) != 1 || records[0].ID != survivor.ID {
		t.Errorf("after the merge: %+v", records)
	}
	if r := merge(treasurer, survivor.ID, map[string]any{"donor_id": merged.ID}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("merging a merged record again: %d %s", r.StatusCode, r.Body)
	}
	srv.Do(apitest.Request{Path: "/v1/me/donations", Token: member}).JSON(t, &mine)
	if len(mine.Donations) != 2 || len(mine.Subscriptions) != 1 {
		t.Errorf("after the merge the member sees both gifts and the subscription: %+v", mine)
	}
	var declarations []struct {
		DonorID string `json:"donor_id"`
	}
	srv.Do(apitest.Request{Path: "/v1/me/gift-aid-declarations", Token: member}).JSON(t, &declarations)
	if len(declarations) != 1 || declarations[0].DonorID != survivor.ID {
		t.Errorf("the declaration moved with the record: %+v", declarations)
	}

	// The next monthly payment, for the merged record's Stripe customer,
	// lands on the survivor; its receipt's management link still opens the
	// customer that holds the subscription (the merged record's).
	sendEvent(t, srv, stripemock.Event(newEventID(), "invoice.paid", time.Now(), invoicePaid("in_gwen2_2", "sub_gwen2", "cus_gwen2", "gwen@example.org", checkout, 700)))
	if gifts := listDonations(t, srv, treasurer, "?donor_id="+survivor.ID); len(gifts) != 3 {
		t.Errorf("the survivor's gifts after the next invoice: %d", len(gifts))
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donors`); n != 3 {
		t.Errorf("%d donor records: the next invoice made a new one", n)
	}
	receipt := srv.Mail.WaitFor(t, "gwen@example.org", 10*time.Second, func(m mailtest.Message) bool {
		return strings.Count(m.Text, "/donate/manage?token=") == 1 && strings.Contains(m.Text, "7.00")
	})
	token := strings.Fields(receipt.Text[strings.Index(receipt.Text, "token=")+len("token="):])[0]
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil || claims["sub"] != merged.ID {
		t.Errorf("the management link names %v (%v), want the record holding the subscription's customer %s", claims["sub"], err, merged.ID)
	}
}
