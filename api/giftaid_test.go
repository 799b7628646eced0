package api_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

type claimResult struct {
	Claim struct {
		ID              string `json:"id"`
		Donations       int    `json:"donations"`
		GiftAidPence    int64  `json:"gift_aid_pence"`
		AdjustmentPence int64  `json:"adjustment_pence"`
	}
	Schedule previewResult
}

// A gift refunded after its claim leaves Gift Aid overclaimed on the
// refunded part: the next claim pays it back once, and the first claim's
// schedule stays as it was filed.
func TestRefundAfterClaimIsAdjustedInTheNextClaim(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	today := time.Now().Format(time.DateOnly)
	give := func(first, email, pi string, pence int64) {
		t.Helper()
		_, c := startCheckout(t, srv, map[string]any{"amount_pence": pence, "currency": "GBP", "frequency": "one_off", "campaign": "general",
			"gift_aid": giftAid(first, "Donor", "this_gift")}, "")
		sendEvent(t, srv, stripemock.Event(newEventID(), "checkout.session.completed", time.Now(),
			checkoutCompleted(c.CheckoutID, "general", pence, email, first+" Donor", "cus_"+first, pi)))
	}
	claim := func() claimResult {
		t.Helper()
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/gift-aid/claims", Token: treasurer, Body: map[string]any{"from": today, "to": today}})
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("claim: %d %s", r.StatusCode, r.Body)
		}
		var c claimResult
		r.JSON(t, &c)
		return c
	}
	scheduleAmounts := func(id string) string {
		t.Helper()
		r := srv.Do(apitest.Request{Path: "/v1/gift-aid/claims/" + id + "/schedule", Token: treasurer})
		lines, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("schedule: %d %v %s", r.StatusCode, err, r.Body)
		}
		var amounts []string
		for _, l := range lines[1:] {
			amounts = append(amounts, l[8])
		}
		return strings.Join(amounts, ",")
	}

	give("Bea", "bea@example.org", "pi_bea", 5000)
	first := claim()
	if first.Claim.GiftAidPence != 1250 || first.Claim.AdjustmentPence != 0 {
		t.Fatalf("first claim: %+v", first.Claim)
	}

	// £20 of Bea's £50 is refunded after the claim.
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", time.Now(), chargeRefunded("ch_bea", "pi_bea", 5000, 2000)))
	if got := scheduleAmounts(first.Claim.ID); got != "50.00" {
		t.Errorf("the filed schedule changed after a refund: %s", got)
	}
	p := previewClaim(t, srv, treasurer)
	if p.Donations != 0 || p.AdjustmentPence != 500 || len(p.Adjustments) != 1 || p.Adjustments[0].OverclaimedPence != 2000 || p.Adjustments[0].ClaimedIn != first.Claim.ID {
		t.Fatalf("preview after the refund: %+v", p)
	}

	// The next claim carries the adjustment, once.
	give("Cal", "cal@example.org", "pi_cal", 1000)
	second := claim()
	if second.Claim.Donations != 1 || second.Claim.GiftAidPence != 250 || second.Claim.AdjustmentPence != 500 || len(second.Schedule.Adjustments) != 1 {
		t.Fatalf("second claim: %+v", second)
	}
	if p := previewClaim(t, srv, treasurer); p.AdjustmentPence != 0 || len(p.Adjustments) != 0 {
		t.Fatalf("the adjustment is due again: %+v", p)
	}
	var listed struct {
		Items []struct {
			ID              string `json:"id"`
			AdjustmentPence int64  `json:"adjustment_pence"`
		}
	}
	srv.Do(apitest.Request{Path: "/v1/gift-aid/claims", Token: treasurer}).JSON(t, &listed)
	if len(listed.Items) != 2 || listed.Items[0].ID != second.Claim.ID || listed.Items[0].AdjustmentPence != 500 {
		t.Fatalf("claims listed: %+v", listed)
	}

	// The rest of Bea's gift refunded later: only the new part is due.
	sendEvent(t, srv, stripemock.Event(newEventID(), "charge.refunded", time.Now(), chargeRefunded("ch_bea", "pi_bea", 5000, 5000)))
	if p := previewClaim(t, srv, treasurer); p.AdjustmentPence != 750 || len(p.Adjustments) != 1 || p.Adjustments[0].OverclaimedPence != 3000 {
		t.Fatalf("preview after the second refund: %+v", p)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM gift_aid_adjustments`); n != 1 {
		t.Errorf("adjustments recorded: %d", n)
	}
}
