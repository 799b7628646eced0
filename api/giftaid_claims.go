package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/giftaid"
)

type claimPeriodQuery struct {
	From string `query:"from" format:"date" required:"true" doc:"First UK date of gifts to claim: not before earliest_claimable_date (HMRC's four-year limit)."`
	To   string `query:"to" format:"date" required:"true" doc:"Last UK date of gifts to claim."`
}

type scheduleRow struct {
	Title             string   `json:"title,omitempty"`
	FirstName         string   `json:"first_name,omitempty"`
	LastName          string   `json:"last_name,omitempty"`
	HouseNameOrNumber string   `json:"house_name_or_number,omitempty"`
	Postcode          string   `json:"postcode,omitempty"`
	Aggregated        string   `json:"aggregated_donations,omitempty" doc:"Set on a line of small gifts added together (donor fields blank), all from one accounting period."`
	SponsoredEvent    bool     `json:"sponsored_event"`
	DonationDate      string   `json:"donation_date" example:"06/04/26" doc:"DD/MM/YY, as HMRC's schedule wants."`
	Amount            string   `json:"amount" example:"25.00" doc:"Pounds with two decimals, no £ sign."`
	DonationIDs       []string `json:"donation_ids"`
}

type claimPreview struct {
	Donations         int           `json:"donations"`
	TotalPence        int64         `json:"total_pence"`
	GiftAidPence      int64         `json:"gift_aid_pence" doc:"What HMRC repays: 25p per £1."`
	Earliest          string        `json:"earliest_donation_date,omitempty" format:"date"`
	EarliestClaimable string        `json:"earliest_claimable_date,omitempty" format:"date" doc:"In a preview: the first date whose gifts HMRC still takes (the start of the accounting period that held the date four years ago)."`
	Rows              []scheduleRow `json:"rows"`
	// Adjustments and small donations are not lines of HMRC's schedule:
	// they are boxes of the claim form.

	AdjustmentPence          int64                `json:"adjustment_pence" doc:"Gift Aid claimed before on gifts refunded or ruled ineligible since, paid back through this claim: enter it as the adjustment in Charities Online."`
	Adjustments              []adjustment         `json:"adjustments"`
	SmallDonationsPence      int64                `json:"small_donations_pence" doc:"Small donations taken under the Gift Aid Small Donations Scheme (GASDS)."`
	SmallDonationsTopUpPence int64                `json:"small_donations_top_up_pence" doc:"HMRC's top-up on them: 25p per £1."`
	SmallDonations           []smallDonationsYear `json:"small_donations" doc:"The small donations per tax year, as Charities Online asks for them."`
}

type adjustment struct {
	DonationID       string    `json:"donation_id" format:"uuid"`
	ClaimedIn        string    `json:"claimed_in" format:"uuid" doc:"The claim the gift was in."`
	PaidAt           time.Time `json:"paid_at"`
	OverclaimedPence int64     `json:"overclaimed_pence" doc:"The part of the gift refunded (or, for a gift ruled ineligible, all of it) after it was claimed."`
	GiftAidPence     int64     `json:"gift_aid_pence" doc:"The Gift Aid to pay back on it."`
}

type smallDonationsYear struct {
	TaxYear        string   `json:"tax_year" example:"2026-27" doc:"The UK tax year (6 April to 5 April) the donations were received in."`
	Donations      int      `json:"donations"`
	DonationsPence int64    `json:"donations_pence"`
	TopUpPence     int64    `json:"top_up_pence"`
	DonationIDs    []string `json:"donation_ids"`
}

func previewBody(s giftaid.Schedule) claimPreview {
	out := claimPreview{Donations: s.Donations, TotalPence: s.TotalPence, GiftAidPence: s.GiftAidPence, Rows: make([]scheduleRow, len(s.Rows)),
		AdjustmentPence: s.AdjustmentPence, Adjustments: make([]adjustment, len(s.Adjustments)), SmallDonationsPence: s.SmallDonationsPence,
		SmallDonationsTopUpPence: s.SmallDonationsTopUpPence, SmallDonations: make([]smallDonationsYear, len(s.SmallDonations))}
	for i, a := range s.Adjustments {
		out.Adjustments[i] = adjustment{DonationID: a.DonationID.String(), ClaimedIn: a.ClaimedIn.String(), PaidAt: a.PaidAt.UTC(),
			OverclaimedPence: a.OverclaimedPence, GiftAidPence: a.GiftAidPence}
	}
	for i, y := range s.SmallDonations {
		out.SmallDonations[i] = smallDonationsYear{TaxYear: giftaid.TaxYearLabel(y.TaxYear), Donations: y.Donations, DonationsPence: y.DonationsPence,
			TopUpPence: y.TopUpPence, DonationIDs: idStrings(y.DonationIDs)}
	}
	if !s.Earliest.IsZero() {
		out.Earliest = s.Earliest.Format(time.DateOnly)
	}
	if !s.EarliestClaimable.IsZero() {
		out.EarliestClaimable = s.EarliestClaimable.Format(time.DateOnly)
	}
	for i, r := range s.Rows {
		out.Rows[i] = scheduleRow{Title: r.Person.Title, FirstName: r.Person.FirstName, LastName: r.Person.LastName, HouseNameOrNumber: r.Person.HouseNameOrNumber,
			Postcode: r.Person.Postcode, Aggregated: r.Aggregated, SponsoredEvent: r.Sponsored, DonationDate: r.Date.Format("02/01/06"),
			Amount: giftaid.FormatPounds(r.AmountPence), DonationIDs: idStrings(r.DonationIDs)}
	}
	return out
}

type claim struct {
	ID                       string    `json:"id" format:"uuid"`
	Status                   string    `json:"status" enum:"draft,submitted,accepted,rejected,void" doc:"draft until filed in Charities Online (submit); then HMRC accepts or rejects it. A draft or submitted claim may be voided. Rejected and void claims no longer hold their gifts."`
	PeriodFrom               string    `json:"period_from" format:"date"`
	PeriodTo                 string    `json:"period_to" format:"date"`
	Donations                int       `json:"donations"`
	TotalPence               int64     `json:"total_pence"`
	GiftAidPence             int64     `json:"gift_aid_pence"`
	AdjustmentPence          int64     `json:"adjustment_pence" doc:"Gift Aid overclaimed before (gifts refunded or ruled ineligible after their claim), paid back through this claim."`
	SmallDonationsPence      int64     `json:"small_donations_pence" doc:"Small donations taken under the Gift Aid Small Donations Scheme."`
	SmallDonationsTopUpPence int64     `json:"small_donations_top_up_pence"`
	AccountingYearEnd        string    `json:"accounting_year_end" example:"03-31" doc:"The accounting year end (MM-DD) the claim was made under: no aggregated line crosses it."`
	HMRCReference            string    `json:"hmrc_reference,omitempty" doc:"Charities Online's reference for the submission."`
	SubmittedOn              string    `json:"submitted_on,omitempty" format:"date"`
	DecidedOn                string    `json:"decided_on,omitempty" format:"date" doc:"When HMRC accepted or rejected it, or it was voided."`
	DecisionNote             string    `json:"decision_note,omitempty" doc:"Why it was rejected or voided, or a note on its acceptance."`
	ResubmissionOf           string    `json:"resubmission_of,omitempty" format:"uuid" doc:"The rejected or void claim this one makes again."`
	CreatedBy                string    `json:"created_by,omitempty" format:"uuid"`
	RetainUntil              string    `json:"retain_until" format:"date"`
	CreatedAt                time.Time `json:"created_at"`
}

func claimBody(c *giftaid.Claim) claim {
	return claim{ID: c.ID.String(), Status: c.Status, PeriodFrom: c.PeriodFrom.Format(time.DateOnly), PeriodTo: c.PeriodTo.Format(time.DateOnly),
		Donations: c.Donations, TotalPence: c.TotalPence, GiftAidPence: c.GiftAidPence, AdjustmentPence: c.AdjustmentPence,
		SmallDonationsPence: c.SmallDonationsPence, SmallDonationsTopUpPence: c.SmallDonationsTopUpPence, AccountingYearEnd: c.AccountingYearEnd,
		HMRCReference: c.HMRCReference, SubmittedOn: dateString(c.SubmittedOn), DecidedOn: dateString(c.DecidedOn), DecisionNote: c.DecisionNote,
		ResubmissionOf: idString(c.ResubmissionOf), CreatedBy: idString(c.CreatedBy), RetainUntil: c.RetainUntil.Format(time.DateOnly), CreatedAt: c.CreatedAt.UTC()}
}

func dateString(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func idStrings[T interface{ String() string }](ids []T) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

type createClaimInput struct {
	IdempotencyKey
	RawBody []byte
	Body    struct {
		From string `json:"from" format:"date" doc:"First UK date of gifts to claim: not before the preview's earliest_claimable_date."`
		To   string `json:"to" format:"date" doc:"Last UK date of gifts to claim."`
	}
}

type claimWithSchedule struct {
	Claim    claim        `json:"claim"`
	Schedule claimPreview `json:"schedule"`
}

type claimIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Claim ID."`
}

func registerGiftAidClaims(hapi huma.API, svc *giftaid.Service, keys idempotencyStore) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "preview-gift-aid-claim",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims/preview",
		Summary:     "Preview a Gift Aid claim",
		Description: "The schedule a claim for gifts received from..to (UK dates, inclusive) would hold now: gifts in no live claim, covered by a valid declaration, not ruled ineligible, not disputed, net of refunds (wholly refunded gifts are left out), small gifts aggregated as HMRC allows (never across accounting periods); the small donations the Gift Aid Small Donations Scheme's limits allow; and `adjustments`, gifts claimed before and refunded or ruled ineligible since, whose Gift Aid the next claim pays back. A period starting before `earliest_claimable_date` is refused (422 `gift-aid-time-limit`: HMRC takes claims up to four years after the end of the accounting period). Claims nothing. Audit-logged.",
		Tags:        []string{"Gift Aid"},
	}, func(ctx context.Context, in *claimPeriodQuery) (*struct{ Body claimPreview }, error) {
		from, to, err := datesOf(in.From, in.To, "query")
		if err != nil {
			return nil, err
		}
		s, err := svc.Preview(ctx, from, to)
		if err != nil {
			return nil, err
		}
		return &struct{ Body claimPreview }{Body: previewBody(s)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "create-gift-aid-claim",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/claims",
		Summary:     "Make a Gift Aid claim (a draft)",
		Description: "Makes a draft claim of every eligible gift received from..to, as the preview shows it, and of the small donations the Gift Aid Small Donations Scheme's limits allow: each gift is put in this claim in one transaction, and no gift is ever in two live claims (409 `nothing-to-claim` when none is left). It carries every adjustment due, each made once. A period starting before the earliest claimable date is 422 `gift-aid-time-limit`. Download the schedule for HMRC Charities Online from `/v1/gift-aid/claims/{id}/schedule`, then record filing it (`/submit`) and HMRC's answer (`/accept`, `/reject`). Send an `Idempotency-Key` so a retried press makes one claim. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Responses:   map[string]*huma.Response{"201": jsonResponse[claimWithSchedule](hapi, "The draft claim and its schedule.")},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *createClaimInput) (*replayableOutput, error) {
		from, to, err := datesOf(in.Body.From, in.Body.To, "body")
		if err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		return idempotentLeased(ctx, keys, "create-gift-aid-claim", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusCreated, func(ctx context.Context) (any, error) {
			c, s, err := svc.CreateClaim(ctx, from, to, &by)
			if err != nil {
				return nil, err
			}
			return claimWithSchedule{Claim: claimBody(c), Schedule: previewBody(s)}, nil
		})
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "list-gift-aid-claims",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims",
		Summary:     "List Gift Aid claims",
		Description: "Newest first, whatever their status.",
		Tags:        []string{"Gift Aid"},
	}, func(ctx context.Context, in *struct {
		Limit int `query:"limit" minimum:"1" maximum:"200" default:"50"`
	}) (*struct{ Body claimList }, error) {
		list, err := svc.ListClaims(ctx, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body claimList }{}
		out.Body.Items = make([]claim, len(list))
		for i, c := range list {
			out.Body.Items[i] = claimBody(c)
		}
		return out, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-claim",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims/{id}",
		Summary:     "Get a Gift Aid claim and its schedule",
		Description: "The claim, its status, and its schedule as made: the amounts claimed on, the small donations and the adjustments it carried. A rejected or void claim still shows what it held. Audit-logged (the schedule holds donors' names and addresses).",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *claimIDInput) (*struct{ Body claimWithSchedule }, error) {
		id, err := parseID(in.ID, "claim")
		if err != nil {
			return nil, err
		}
		c, s, err := svc.GetClaim(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body claimWithSchedule }{Body: claimWithSchedule{Claim: claimBody(c), Schedule: previewBody(s)}}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-claim-schedule",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims/{id}/schedule",
		Summary:     "Download a claim's HMRC schedule (CSV)",
		Description: "The claim's gifts in the column layout of HMRC's Charities Online Gift Aid schedule: Title, First name, Last name, House name or number, Postcode, Aggregated donations, Sponsored event, Donation date (DD/MM/YY), Amount (pounds, two decimals, no £). Paste it into HMRC's spreadsheet; small donations and the adjustment go in the claim form's own boxes. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
		Responses:   csvOnlyResponses("The schedule, with a header line."),
	}, func(ctx context.Context, in *claimIDInput) (*documentOutput, error) {
		id, err := parseID(in.ID, "claim")
		if err != nil {
			return nil, err
		}
		c, s, err := svc.GetClaim(ctx, id)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := s.WriteCSV(&buf); err != nil {
			return nil, err
		}
		return &documentOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="gift-aid-claim-` + c.ID.String()[:8] + `.csv"`,
			Count: strconv.Itoa(len(s.Rows)), Body: buf.Bytes()}, nil
	})

	registerGiftAidClaimLifecycle(hapi, svc)
}

// claimList is the body of GET /v1/gift-aid/claims, named so its schema is too.
type claimList struct {
	Items []claim `json:"items"`
}
