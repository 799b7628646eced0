package api_test

import (
	"net/http"
	"testing"
)

// A declaration for a single gift covers that gift and no other.
func TestSingleGiftDeclarationCoversOneGift(t *testing.T) {
	d := newGiftAidDesk(t, nil)
	today := day(ukToday())
	first := d.gift("Cy Single", 1500, today, "")
	decl := d.declare(first.DonorID, "Cy", "this_gift", today, nil)
	d.gift(first.DonorID, 2500, today, decl.ID)
	d.problem(http.MethodPost, "/v1/donations/offline", map[string]any{"amount_pence": 3500, "method": "cheque", "received_on": today,
		"campaign": "general", "donor_id": first.DonorID, "gift_aid_declaration_id": decl.ID}, http.StatusUnprocessableEntity, "declaration-covers-one-gift")
	if p := d.preview(today, today); p.Donations != 1 || p.Rows[0].Amount != "25.00" {
		t.Fatalf("claimable: %+v", p)
	}
}
