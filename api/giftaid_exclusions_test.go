package api_test

import (
	"net/http"
	"testing"
)

// A gift that is not a gift (a payment for something, a company's money)
// is kept out of Gift Aid with the reason, audit-logged; lifting the
// override brings it back, and overriding a claimed gift pays its Gift
// Aid back through the next claim.
func TestGiftAidExclusion(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, nil)
	today := day(ukToday())
	g := d.gift("Hal Gala", 4000, today, "")
	d.declare(g.DonorID, "Hal", "past_four_years_and_future", today, nil)
	path := "/v1/donations/" + g.ID + "/gift-aid-exclusion"
	d.problem(http.MethodPut, path, map[string]any{"reason": "other"}, http.StatusUnprocessableEntity, "validation-failed")
	var ex struct {
		DonationID string `json:"donation_id"`
		Reason     string `json:"reason"`
		Note       string `json:"note"`
	}
	d.do(http.MethodPut, path, map[string]any{"reason": "payment_for_goods_or_services", "note": "gala dinner ticket"}, http.StatusOK).JSON(t, &ex)
	if ex.DonationID != g.ID || ex.Reason != "payment_for_goods_or_services" {
		t.Fatalf("exclusion: %+v", ex)
	}
	if p := d.preview(today, today); p.Donations != 0 {
		t.Fatalf("an excluded gift is claimable: %+v", p)
	}
	if n := countRows(t, d.srv, `SELECT count(*) FROM audit_events WHERE action = 'gift_aid.exclusion_set' AND target_id = $1
		AND details->>'reason' = 'payment_for_goods_or_services' AND actor_type = 'staff'`, g.ID); n != 1 {
		t.Errorf("exclusion audit events: %d", n)
	}
	d.do(http.MethodDelete, path, nil, http.StatusNoContent)
	d.problem(http.MethodDelete, path, nil, http.StatusNotFound, "not-found")
	if n := countRows(t, d.srv, `SELECT count(*) FROM audit_events WHERE action = 'gift_aid.exclusion_lifted' AND target_id = $1`, g.ID); n != 1 {
		t.Errorf("lifting audit events: %d", n)
	}
	claimed := d.claim(today, today)
	if claimed.Claim.GiftAidPence != 1000 {
		t.Fatalf("claim: %+v", claimed.Claim)
	}
	// Found out later: it came from Hal's company. The next claim pays the Gift Aid back.
	d.do(http.MethodPut, path, map[string]any{"reason": "company"}, http.StatusOK)
	p := d.preview(today, today)
	if p.AdjustmentPence != 1000 || len(p.Adjustments) != 1 || p.Adjustments[0].OverclaimedPence != 4000 {
		t.Fatalf("adjustment for a claimed gift found ineligible: %+v", p)
	}
	d.problem(http.MethodPut, "/v1/donations/00000000-0000-0000-0000-000000000000/gift-aid-exclusion", map[string]any{"reason": "company"}, http.StatusNotFound, "not-found")
}
