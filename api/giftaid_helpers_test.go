package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// giftAidDesk is a treasurer at work on Gift Aid, through the API.
type giftAidDesk struct {
	t     *testing.T
	srv   *apitest.Server
	token string
}

func newGiftAidDesk(t *testing.T, env map[string]string) *giftAidDesk {
	srv := startGiving(t, env)
	return &giftAidDesk{t: t, srv: srv, token: srv.StaffToken(t, identity.RoleTreasurer)}
}

// do sends a treasurer's request and fails unless it is answered want.
func (d *giftAidDesk) do(method, path string, body any, want int) *apitest.Response {
	d.t.Helper()
	r := d.srv.Do(apitest.Request{Method: method, Path: path, Body: body, Token: d.token})
	if r.StatusCode != want {
		d.t.Fatalf("%s %s: %d %s, want %d", method, path, r.StatusCode, r.Body, want)
	}
	return r
}

// problem sends a request that must fail with status and code.
func (d *giftAidDesk) problem(method, path string, body any, status int, code string) {
	d.t.Helper()
	r := d.srv.Do(apitest.Request{Method: method, Path: path, Body: body, Token: d.token})
	if r.StatusCode != status || r.Problem(d.t).Code != code {
		d.t.Fatalf("%s %s: %d %s, want %d %s", method, path, r.StatusCode, r.Body, status, code)
	}
}

type offlineGift struct {
	ID      string `json:"id"`
	DonorID string `json:"donor_id"`
}

// gift records an offline gift of pence received on day (YYYY-MM-DD);
// donor is a donor ID, or a name for a new donor record.
func (d *giftAidDesk) gift(donor string, pence int64, day string, declaration string) offlineGift {
	d.t.Helper()
	body := map[string]any{"amount_pence": pence, "method": "cheque", "received_on": day, "campaign": "general"}
	if len(donor) == 36 {
		body["donor_id"] = donor
	} else {
		body["donor_name"] = donor
	}
	if declaration != "" {
		body["gift_aid_declaration_id"] = declaration
	}
	var g offlineGift
	d.do(http.MethodPost, "/v1/donations/offline", body, http.StatusCreated).JSON(d.t, &g)
	return g
}

// declare records a written declaration for donorID made on day, with
// extra fields (method, scope…) overriding the defaults.
func (d *giftAidDesk) declare(donorID, first, scope, day string, extra map[string]any) declarationResult {
	d.t.Helper()
	body := map[string]any{"first_name": first, "last_name": "Donor", "house_name_or_number": "7", "postcode": "S1 2AB",
		"scope": scope, "wording_version": "hmrc-model-2026", "uk_taxpayer": true, "method": "written", "declared_on": day, "donor_id": donorID}
	for k, v := range extra {
		body[k] = v
	}
	var out declarationResult
	d.do(http.MethodPost, "/v1/gift-aid/declarations", body, http.StatusCreated).JSON(d.t, &out)
	return out
}

type declarationResult struct {
	ID                       string `json:"id"`
	Method                   string `json:"method"`
	ConfirmationSentOn       string `json:"confirmation_sent_on"`
	CancelledRetrospectively bool   `json:"cancelled_retrospectively"`
}

// hmrcPreview is a claim's schedule as the API shows it.
type hmrcPreview struct {
	Donations       int    `json:"donations"`
	GiftAidPence    int64  `json:"gift_aid_pence"`
	AdjustmentPence int64  `json:"adjustment_pence"`
	Earliest        string `json:"earliest_claimable_date"`
	Adjustments     []struct {
		DonationID       string `json:"donation_id"`
		OverclaimedPence int64  `json:"overclaimed_pence"`
		GiftAidPence     int64  `json:"gift_aid_pence"`
	} `json:"adjustments"`
	Rows []struct {
		FirstName   string   `json:"first_name"`
		Aggregated  string   `json:"aggregated_donations"`
		Amount      string   `json:"amount"`
		DonationIDs []string `json:"donation_ids"`
	} `json:"rows"`
	SmallDonationsPence      int64 `json:"small_donations_pence"`
	SmallDonationsTopUpPence int64 `json:"small_donations_top_up_pence"`
	SmallDonations           []struct {
		TaxYear        string `json:"tax_year"`
		Donations      int    `json:"donations"`
		DonationsPence int64  `json:"donations_pence"`
		TopUpPence     int64  `json:"top_up_pence"`
	} `json:"small_donations"`
}

// preview returns the claim preview for from..to.
func (d *giftAidDesk) preview(from, to string) hmrcPreview {
	d.t.Helper()
	var p hmrcPreview
	d.do(http.MethodGet, "/v1/gift-aid/claims/preview?from="+from+"&to="+to, nil, http.StatusOK).JSON(d.t, &p)
	return p
}

// claimSummary is a claim as the API answers it.
type claimSummary struct {
	ID                       string `json:"id"`
	Status                   string `json:"status"`
	Donations                int    `json:"donations"`
	GiftAidPence             int64  `json:"gift_aid_pence"`
	AdjustmentPence          int64  `json:"adjustment_pence"`
	HMRCReference            string `json:"hmrc_reference"`
	ResubmissionOf           string `json:"resubmission_of"`
	SmallDonationsPence      int64  `json:"small_donations_pence"`
	SmallDonationsTopUpPence int64  `json:"small_donations_top_up_pence"`
}

type claimMade struct {
	Claim    claimSummary `json:"claim"`
	Schedule hmrcPreview  `json:"schedule"`
}

// claim makes a claim for from..to and returns it.
func (d *giftAidDesk) claim(from, to string) claimMade {
	d.t.Helper()
	var c claimMade
	d.do(http.MethodPost, "/v1/gift-aid/claims", map[string]any{"from": from, "to": to}, http.StatusCreated).JSON(d.t, &c)
	return c
}

// day formats a date as the API takes it.
func day(t time.Time) string { return t.Format(time.DateOnly) }

// ukToday is today's date in the UK.
func ukToday() time.Time {
	london, _ := time.LoadLocation("Europe/London")
	y, m, dd := time.Now().In(london).Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}
