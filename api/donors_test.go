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
