package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// A declaration for a single gift covers that gift and no other.
func TestSingleGiftDeclarationCoversOneGift(t *testing.T) {
	t.Parallel()
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

// An oral declaration is recorded without a letter; HPA produces the
// written record to send; gifts become claimable once the donor's 30 days
// to cancel have passed, and cancelling within them undoes the
// declaration from the start. A recorded call needs no letter.
func TestOralDeclarations(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, nil)
	today := ukToday()
	from, to := day(today.AddDate(0, 0, -60)), day(today)
	oral := map[string]any{"method": "oral"}

	// Dee gave 45 days ago and declared by phone the same day.
	dee := d.gift("Dee Oral", 2000, day(today.AddDate(0, 0, -45)), "")
	decl := d.declare(dee.DonorID, "Dee", "past_four_years_and_future", day(today.AddDate(0, 0, -45)), oral)
	if decl.Method != "oral" || decl.ConfirmationSentOn != "" {
		t.Fatalf("oral declaration: %+v", decl)
	}
	if p := d.preview(from, to); p.Donations != 0 {
		t.Fatalf("an oral declaration counts before its written record: %+v", p)
	}
	d.problem(http.MethodGet, "/v1/gift-aid/declarations/"+decl.ID+"/written-record", nil, http.StatusConflict, "written-record-not-sent")
	d.problem(http.MethodPost, "/v1/gift-aid/declarations/"+decl.ID+"/written-record", map[string]any{"sent_on": day(today.AddDate(0, 0, -46))},
		http.StatusUnprocessableEntity, "validation-failed")
	sent := today.AddDate(0, 0, -40)
	var rec struct {
		Declaration declarationResult `json:"declaration"`
		Letter      string            `json:"letter"`
	}
	d.do(http.MethodPost, "/v1/gift-aid/declarations/"+decl.ID+"/written-record", map[string]any{"sent_on": day(sent)}, http.StatusCreated).JSON(t, &rec)
	for _, want := range []string{"Dee Donor", "S1 2AB", "Harmed Patients Alliance", "30 days", "UK taxpayer", sent.Format("2 January 2006"),
		today.AddDate(0, 0, -45).Format("2 January 2006")} {
		if !strings.Contains(rec.Letter, want) {
			t.Errorf("the written record lacks %q:\n%s", want, rec.Letter)
		}
	}
	if rec.Declaration.ConfirmationSentOn != day(sent) {
		t.Errorf("declaration after the letter: %+v", rec.Declaration)
	}
	letter := d.do(http.MethodGet, "/v1/gift-aid/declarations/"+decl.ID+"/written-record", nil, http.StatusOK)
	if !strings.HasPrefix(letter.Header.Get("Content-Type"), "text/plain") || string(letter.Body) != rec.Letter {
		t.Errorf("the letter downloaded: %q %s", letter.Header.Get("Content-Type"), letter.Body)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/declarations/"+decl.ID+"/written-record", map[string]any{"sent_on": day(today)}, http.StatusConflict, "written-record-already-sent")
	if p := d.preview(from, to); p.Donations != 1 {
		t.Fatalf("Dee's window has passed: %+v", p)
	}

	// Eve's letter went 5 days ago: not claimable yet; she cancels within
	// her 30 days, so the declaration never covered anything.
	eve := d.gift("Eve Oral", 3000, day(today.AddDate(0, 0, -10)), "")
	eveDecl := d.declare(eve.DonorID, "Eve", "past_four_years_and_future", day(today.AddDate(0, 0, -6)), oral)
	d.do(http.MethodPost, "/v1/gift-aid/declarations/"+eveDecl.ID+"/written-record", map[string]any{"sent_on": day(today.AddDate(0, 0, -5))}, http.StatusCreated)
	if p := d.preview(from, to); p.Donations != 1 {
		t.Fatalf("only Dee's gift is claimable while Eve's 30 days run: %+v", p)
	}
	var cancelled declarationResult
	d.do(http.MethodPost, "/v1/gift-aid/declarations/"+eveDecl.ID+"/cancel", nil, http.StatusOK).JSON(t, &cancelled)
	if !cancelled.CancelledRetrospectively {
		t.Fatalf("cancelled within 30 days of the letter: %+v", cancelled)
	}
	// Time passes (the letter now 60 days old): still nothing of Eve's.
	if _, err := d.srv.Pool.Exec(t.Context(), `UPDATE gift_aid_declarations SET confirmation_sent_on = confirmation_sent_on - 60 WHERE id = $1`, eveDecl.ID); err != nil {
		t.Fatal(err)
	}
	if p := d.preview(from, to); p.Donations != 1 {
		t.Fatalf("a declaration cancelled within its window covers gifts: %+v", p)
	}

	// Dee cancels after her window: her earlier gift stays claimable.
	var late declarationResult
	d.do(http.MethodPost, "/v1/gift-aid/declarations/"+decl.ID+"/cancel", nil, http.StatusOK).JSON(t, &late)
	if late.CancelledRetrospectively || d.preview(from, to).Donations != 1 {
		t.Errorf("cancelled after the window: %+v", late)
	}

	// Fay's call was recorded: claimable at once, and no letter is due.
	fay := d.gift("Fay Oral", 1200, day(today.AddDate(0, 0, -2)), "")
	fayDecl := d.declare(fay.DonorID, "Fay", "past_four_years_and_future", day(today.AddDate(0, 0, -2)),
		map[string]any{"method": "oral", "recording_reference": "call 2026-0042"})
	d.problem(http.MethodPost, "/v1/gift-aid/declarations/"+fayDecl.ID+"/written-record", map[string]any{"sent_on": day(today)}, http.StatusConflict, "written-record-not-needed")
	if p := d.preview(from, to); p.Donations != 2 {
		t.Fatalf("a recorded oral declaration: %+v", p)
	}
	// A written declaration takes no recording reference.
	d.problem(http.MethodPost, "/v1/gift-aid/declarations", map[string]any{"first_name": "Gus", "last_name": "Donor", "house_name_or_number": "7",
		"postcode": "S1 2AB", "scope": "this_and_future", "wording_version": "hmrc-model-2026", "uk_taxpayer": true, "method": "written",
		"declared_on": day(today), "recording_reference": "x"}, http.StatusUnprocessableEntity, "gift-aid-declaration-incomplete")
}
