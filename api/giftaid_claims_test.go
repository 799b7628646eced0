package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
)

// HMRC takes a claim up to four years after the end of the accounting
// period its gifts were received in, and an aggregated line never adds
// up gifts from two accounting periods.
func TestGiftAidClaimsKeepHMRCsTimeLimitAndAccountingPeriods(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, map[string]string{"HPA_ACCOUNTING_YEAR_END": "03-31"})
	today := ukToday()

	// The first claimable day is the start of the accounting year (from
	// 1 April) that held the date four years ago.
	fourYearsAgo := today.AddDate(-4, 0, 0)
	earliest := time.Date(fourYearsAgo.Year(), time.April, 1, 0, 0, 0, 0, time.UTC)
	if fourYearsAgo.Before(earliest) {
		earliest = earliest.AddDate(-1, 0, 0)
	}

	// Ann gave six years ago; her declaration covers the past four years.
	old := today.AddDate(-6, 0, 0)
	ann := d.gift("Ann Old", 5000, day(old), "")
	d.declare(ann.DonorID, "Ann", "past_four_years_and_future", day(old), nil)
	d.problem(http.MethodGet, "/v1/gift-aid/claims/preview?from="+day(old)+"&to="+day(old), nil, http.StatusUnprocessableEntity, "gift-aid-time-limit")
	d.problem(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": day(old), "to": day(today)}, http.StatusUnprocessableEntity, "gift-aid-time-limit")
	d.problem(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": day(earliest.AddDate(0, 0, -1)), "to": day(today)},
		http.StatusUnprocessableEntity, "gift-aid-time-limit")

	// Bea's gift on the first claimable day is still in time.
	bea := d.gift("Bea Early", 4000, day(earliest), "")
	d.declare(bea.DonorID, "Bea", "this_and_future", day(earliest), nil)
	if p := d.preview(day(earliest), day(earliest)); p.Donations != 1 || p.Earliest != day(earliest) {
		t.Fatalf("a gift on the first claimable day: %+v", p)
	}

	// Two small gifts either side of the last year end: two aggregated lines.
	yearEnd := time.Date(today.Year(), time.March, 31, 0, 0, 0, 0, time.UTC)
	if !yearEnd.Before(today) {
		yearEnd = yearEnd.AddDate(-1, 0, 0)
	}
	for i, on := range []time.Time{yearEnd, yearEnd.AddDate(0, 0, 1)} {
		g := d.gift([]string{"Cal Small", "Dot Small"}[i], 1000, day(on), "")
		d.declare(g.DonorID, []string{"Cal", "Dot"}[i], "past_four_years_and_future", day(on), nil)
	}
	p := d.preview(day(yearEnd), day(yearEnd.AddDate(0, 0, 1)))
	aggregated := 0
	for _, r := range p.Rows {
		if r.Aggregated != "" {
			aggregated++
			if len(r.DonationIDs) != 1 {
				t.Errorf("an aggregated line mixes accounting periods: %+v", r)
			}
		}
	}
	if p.Donations != 2 || aggregated != 2 {
		t.Fatalf("small gifts from two accounting periods: %+v", p)
	}
	made := d.claim(day(earliest), day(today))
	if made.Claim.Donations != 3 {
		t.Fatalf("claim within the time limit: %+v", made.Claim)
	}
}

// A claim is a draft until the treasurer files it; HMRC accepts or rejects
// it. A rejected or voided claim lets its gifts go, to be claimed again,
// and no gift is ever in two live claims.
func TestGiftAidClaimLifecycle(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, nil)
	today := day(ukToday())
	g := d.gift("Eve Claim", 8000, today, "")
	d.declare(g.DonorID, "Eve", "this_and_future", today, nil)
	live := func() int {
		return countRows(t, d.srv, `SELECT count(*) FROM gift_aid_claim_gifts WHERE donation_id = $1 AND live`, g.ID)
	}

	// Pressing "make claim" twice with one Idempotency-Key makes one claim.
	key := http.Header{"Idempotency-Key": {"claim-eve-1"}}
	var first, replay claimMade
	r := d.srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: d.token, Header: key, Body: map[string]any{"from": today, "to": today}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &first)
	r = d.srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: d.token, Header: key, Body: map[string]any{"from": today, "to": today}})
	r.JSON(t, &replay)
	if r.StatusCode != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "true" || replay.Claim.ID != first.Claim.ID {
		t.Fatalf("replayed claim: %d %s", r.StatusCode, r.Body)
	}
	if n := countRows(t, d.srv, `SELECT count(*) FROM gift_aid_claims`); n != 1 {
		t.Fatalf("%d claims after a retried press", n)
	}
	if first.Claim.Status != "draft" || first.Claim.Donations != 1 {
		t.Fatalf("new claim: %+v", first.Claim)
	}
	id := first.Claim.ID
	d.problem(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": today, "to": today}, http.StatusConflict, "nothing-to-claim")
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+id+"/accept", map[string]any{}, http.StatusConflict, "claim-status")

	// Filed, then rejected by HMRC: the gift is claimable again, and the
	// rejected claim still shows what was filed.
	var c claimSummary
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+id+"/submit", map[string]any{"hmrc_reference": "CO-2026-0001"}, http.StatusOK).JSON(t, &c)
	if c.Status != "submitted" || c.HMRCReference != "CO-2026-0001" {
		t.Fatalf("submitted: %+v", c)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+id+"/submit", map[string]any{}, http.StatusConflict, "claim-status")
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+id+"/reject", map[string]any{}, http.StatusUnprocessableEntity, "validation-failed")
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+id+"/reject", map[string]any{"reason": "postcode format"}, http.StatusOK).JSON(t, &c)
	if c.Status != "rejected" || live() != 0 {
		t.Fatalf("rejected: %+v, %d live", c, live())
	}
	if p := d.preview(today, today); p.Donations != 1 {
		t.Fatalf("a rejected claim's gift is not claimable again: %+v", p)
	}
	var filed claimMade
	d.do(http.MethodGet, "/v1/gift-aid/claims/"+id, nil, http.StatusOK).JSON(t, &filed)
	if filed.Claim.Status != "rejected" || filed.Schedule.Donations != 1 || len(filed.Schedule.Rows) != 1 {
		t.Fatalf("the rejected claim as filed: %+v", filed)
	}

	// Resubmitted as a new draft, which is voided: the gift goes back again.
	var again claimMade
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+id+"/resubmit", nil, http.StatusCreated).JSON(t, &again)
	if again.Claim.Status != "draft" || again.Claim.ResubmissionOf != id || again.Claim.Donations != 1 || live() != 1 {
		t.Fatalf("resubmission: %+v", again.Claim)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+id+"/resubmit", nil, http.StatusConflict, "nothing-to-claim")
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+again.Claim.ID+"/void", map[string]any{"reason": "made by mistake"}, http.StatusOK).JSON(t, &c)
	if c.Status != "void" || live() != 0 {
		t.Fatalf("voided: %+v", c)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+again.Claim.ID+"/submit", map[string]any{}, http.StatusConflict, "claim-status")

	// Claimed, filed and accepted: final.
	last := d.claim(today, today)
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+last.Claim.ID+"/submit", map[string]any{}, http.StatusOK)
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+last.Claim.ID+"/accept", map[string]any{"note": "repayment received"}, http.StatusOK).JSON(t, &c)
	if c.Status != "accepted" || live() != 1 {
		t.Fatalf("accepted: %+v", c)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+last.Claim.ID+"/void", map[string]any{"reason": "no"}, http.StatusConflict, "claim-status")
	if n := countRows(t, d.srv, `SELECT count(*) FROM audit_events WHERE action LIKE 'gift_aid.claim_%' AND target_id = $1`, id); n < 3 {
		t.Errorf("the first claim's lifecycle left %d audit events", n)
	}
}

// A claim rejected after a later claim paid back Gift Aid on one of its
// gifts cannot simply let the gift go: the later claim is voided first.
func TestRejectingAClaimAnotherClaimAdjustedIsRefused(t *testing.T) {
	t.Parallel()
	d := newGiftAidDesk(t, nil)
	today := day(ukToday())
	g := d.gift("Fin Refund", 6000, today, "")
	d.declare(g.DonorID, "Fin", "this_and_future", today, nil)
	first := d.claim(today, today)
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+first.Claim.ID+"/submit", map[string]any{}, http.StatusOK)
	d.do(http.MethodPost, "/v1/donations/"+g.ID+"/refunds", map[string]any{"amount_pence": 2000, "reason": "other"}, http.StatusCreated)
	other := d.gift("Gil Other", 1000, today, "")
	d.declare(other.DonorID, "Gil", "this_and_future", today, nil)
	second := d.claim(today, today)
	if second.Claim.AdjustmentPence != 500 {
		t.Fatalf("second claim: %+v", second.Claim)
	}
	d.problem(http.MethodPost, "/v1/gift-aid/claims/"+first.Claim.ID+"/reject", map[string]any{"reason": "late"}, http.StatusConflict, "claim-adjusted-later")
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+second.Claim.ID+"/void", map[string]any{"reason": "redo"}, http.StatusOK)
	d.do(http.MethodPost, "/v1/gift-aid/claims/"+first.Claim.ID+"/reject", map[string]any{"reason": "late"}, http.StatusOK)
	// Fin's gift is claimable again for what is left of it, with nothing to pay back.
	p := d.preview(today, today)
	if p.Donations != 2 || p.AdjustmentPence != 0 || p.GiftAidPence != 1000+250 {
		t.Fatalf("after the rejection: %+v", p)
	}
}
