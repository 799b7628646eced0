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

type giftAidWording struct {
	Version string            `json:"version" example:"hmrc-model-2026" doc:"Send this back as wording_version with a declaration."`
	Scopes  map[string]string `json:"scopes" doc:"The declaration text to show, per scope."`
}

type declaration struct {
	ID                 string     `json:"id" format:"uuid"`
	DonorID            string     `json:"donor_id,omitempty" format:"uuid"`
	MemberID           string     `json:"member_id,omitempty" format:"uuid"`
	Title              string     `json:"title,omitempty"`
	FirstName          string     `json:"first_name"`
	LastName           string     `json:"last_name"`
	HouseNameOrNumber  string     `json:"house_name_or_number"`
	Postcode           string     `json:"postcode" doc:"UK postcode, or X outside the UK."`
	Scope              string     `json:"scope" enum:"this_gift,this_and_future,past_four_years_and_future"`
	Method             string     `json:"method" enum:"online,oral,written"`
	WordingVersion     string     `json:"wording_version"`
	Wording            string     `json:"wording" doc:"The text the donor agreed to."`
	DeclaredOn         string     `json:"declared_on" format:"date"`
	ConfirmationSentOn string     `json:"confirmation_sent_on,omitempty" format:"date"`
	CancelledAt        *time.Time `json:"cancelled_at,omitempty"`
	RetainUntil        string     `json:"retain_until" format:"date" doc:"The record is kept at least until this date (HMRC: six years)."`
	CreatedAt          time.Time  `json:"created_at"`
}

func declarationBody(d *giftaid.Declaration) declaration {
	out := declaration{ID: d.ID.String(), DonorID: idString(d.DonorID), MemberID: idString(d.MemberID), Title: d.Person.Title, FirstName: d.Person.FirstName,
		LastName: d.Person.LastName, HouseNameOrNumber: d.Person.HouseNameOrNumber, Postcode: d.Person.Postcode, Scope: string(d.Scope), Method: string(d.Method),
		WordingVersion: d.WordingVersion, Wording: d.Wording, DeclaredOn: d.DeclaredOn.Format(time.DateOnly), CancelledAt: d.CancelledAt,
		RetainUntil: d.RetainUntil.Format(time.DateOnly), CreatedAt: d.CreatedAt.UTC()}
	if d.ConfirmationSentOn != nil {
		out.ConfirmationSentOn = d.ConfirmationSentOn.Format(time.DateOnly)
	}
	return out
}

type createDeclarationInput struct {
	Body struct {
		GiftAidFields
		Method             string `json:"method" enum:"online,oral,written" doc:"How the donor made it. Oral declarations need confirmation_sent_on."`
		DeclaredOn         string `json:"declared_on" format:"date" doc:"The date the donor made it."`
		ConfirmationSentOn string `json:"confirmation_sent_on,omitempty" format:"date" doc:"For oral declarations: when the written confirmation was sent."`
		DonorID            string `json:"donor_id,omitempty" format:"uuid" doc:"The donor it belongs to."`
	}
}

type declarationListInput struct {
	PageQuery
	DonorID string `query:"donor_id" format:"uuid" doc:"Only this donor's declarations."`
}

type declarationPage struct {
	Items      []declaration `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

type declarationIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Declaration ID."`
}

type claimPeriodQuery struct {
	From string `query:"from" format:"date" required:"true" doc:"First UK date of gifts to claim."`
	To   string `query:"to" format:"date" required:"true" doc:"Last UK date of gifts to claim."`
}

type scheduleRow struct {
	Title             string   `json:"title,omitempty"`
	FirstName         string   `json:"first_name,omitempty"`
	LastName          string   `json:"last_name,omitempty"`
	HouseNameOrNumber string   `json:"house_name_or_number,omitempty"`
	Postcode          string   `json:"postcode,omitempty"`
	Aggregated        string   `json:"aggregated_donations,omitempty" doc:"Set on a line of small gifts added together (donor fields blank)."`
	SponsoredEvent    bool     `json:"sponsored_event"`
	DonationDate      string   `json:"donation_date" example:"06/04/26" doc:"DD/MM/YY, as HMRC's schedule wants."`
	Amount            string   `json:"amount" example:"25.00" doc:"Pounds with two decimals, no £ sign."`
	DonationIDs       []string `json:"donation_ids"`
}

type claimPreview struct {
	Donations    int           `json:"donations"`
	TotalPence   int64         `json:"total_pence"`
	GiftAidPence int64         `json:"gift_aid_pence" doc:"What HMRC repays: 25p per £1."`
	Earliest     string        `json:"earliest_donation_date,omitempty" format:"date"`
	Rows         []scheduleRow `json:"rows"`
	// Adjustments are not lines of HMRC's schedule: their total goes in the
	// claim form's adjustment box.

	AdjustmentPence int64        `json:"adjustment_pence" doc:"Gift Aid claimed before on gifts refunded since, paid back through this claim: enter it as the adjustment in Charities Online."`
	Adjustments     []adjustment `json:"adjustments"`
}

type adjustment struct {
	DonationID       string    `json:"donation_id" format:"uuid"`
	ClaimedIn        string    `json:"claimed_in" format:"uuid" doc:"The claim the gift was in."`
	PaidAt           time.Time `json:"paid_at"`
	OverclaimedPence int64     `json:"overclaimed_pence" doc:"The part of the gift refunded after it was claimed."`
	GiftAidPence     int64     `json:"gift_aid_pence" doc:"The Gift Aid to pay back on it."`
}

func previewBody(s giftaid.Schedule) claimPreview {
	out := claimPreview{Donations: s.Donations, TotalPence: s.TotalPence, GiftAidPence: s.GiftAidPence, Rows: make([]scheduleRow, len(s.Rows)),
		AdjustmentPence: s.AdjustmentPence, Adjustments: make([]adjustment, len(s.Adjustments))}
	for i, a := range s.Adjustments {
		out.Adjustments[i] = adjustment{DonationID: a.DonationID.String(), ClaimedIn: a.ClaimedIn.String(), PaidAt: a.PaidAt.UTC(),
			OverclaimedPence: a.OverclaimedPence, GiftAidPence: a.GiftAidPence}
	}
	if !s.Earliest.IsZero() {
		out.Earliest = s.Earliest.Format(time.DateOnly)
	}
	for i, r := range s.Rows {
		ids := make([]string, len(r.DonationIDs))
		for j, id := range r.DonationIDs {
			ids[j] = id.String()
		}
		out.Rows[i] = scheduleRow{Title: r.Person.Title, FirstName: r.Person.FirstName, LastName: r.Person.LastName, HouseNameOrNumber: r.Person.HouseNameOrNumber,
			Postcode: r.Person.Postcode, Aggregated: r.Aggregated, SponsoredEvent: r.Sponsored, DonationDate: r.Date.Format("02/01/06"),
			Amount: giftaid.FormatPounds(r.AmountPence), DonationIDs: ids}
	}
	return out
}

type claim struct {
	ID              string    `json:"id" format:"uuid"`
	PeriodFrom      string    `json:"period_from" format:"date"`
	PeriodTo        string    `json:"period_to" format:"date"`
	Donations       int       `json:"donations"`
	TotalPence      int64     `json:"total_pence"`
	GiftAidPence    int64     `json:"gift_aid_pence"`
	AdjustmentPence int64     `json:"adjustment_pence" doc:"Gift Aid overclaimed before (gifts refunded after their claim), paid back through this claim."`
	CreatedBy       string    `json:"created_by,omitempty" format:"uuid"`
	RetainUntil     string    `json:"retain_until" format:"date"`
	CreatedAt       time.Time `json:"created_at"`
}

func claimBody(c *giftaid.Claim) claim {
	return claim{ID: c.ID.String(), PeriodFrom: c.PeriodFrom.Format(time.DateOnly), PeriodTo: c.PeriodTo.Format(time.DateOnly), Donations: c.Donations,
		TotalPence: c.TotalPence, GiftAidPence: c.GiftAidPence, AdjustmentPence: c.AdjustmentPence, CreatedBy: idString(c.CreatedBy), RetainUntil: c.RetainUntil.Format(time.DateOnly), CreatedAt: c.CreatedAt.UTC()}
}

type createClaimInput struct {
	Body struct {
		From string `json:"from" format:"date" doc:"First UK date of gifts to claim."`
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

func datesOf(fromRaw, toRaw, where string) (time.Time, time.Time, error) {
	from, err := parseDate(fromRaw, where+".from")
	if err != nil {
		return from, from, err
	}
	to, err := parseDate(toRaw, where+".to")
	return from, to, err
}

func registerGiftAid(hapi huma.API, svc *giftaid.Service) {
	register(hapi, public, huma.Operation{
		OperationID: "get-gift-aid-wording",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/wording",
		Summary:     "Get the Gift Aid declaration wording",
		Description: "The text to show a donor for each scope (after HMRC's model declarations) and its version, to send back with the declaration.",
		Tags:        []string{"Gift Aid"},
		Metadata:    map[string]any{noDatabaseKey: true},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body giftAidWording }, error) {
		out := giftAidWording{Version: giftaid.CurrentWordingVersion, Scopes: map[string]string{}}
		for scope, text := range giftaid.CurrentWordings() {
			out.Scopes[string(scope)] = text
		}
		return &struct{ Body giftAidWording }{Body: out}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "create-gift-aid-declaration",
		Method:        http.MethodPost,
		Path:          "/v1/gift-aid/declarations",
		Summary:       "Record a Gift Aid declaration",
		Description:   "For declarations made on paper, by phone (oral, with the written confirmation's date) or online outside checkout. HMRC's required details are checked (422 `gift-aid-declaration-incomplete` names each missing field); the name and address are encrypted at rest. Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createDeclarationInput) (*struct{ Body declaration }, error) {
		nd := in.Body.declaration()
		nd.Method = giftaid.Method(in.Body.Method)
		declared, err := parseDate(in.Body.DeclaredOn, "body.declared_on")
		if err != nil {
			return nil, err
		}
		if declared.After(time.Now()) {
			return nil, invalidField("body.declared_on", "must not be in the future")
		}
		nd.DeclaredOn = declared
		if in.Body.ConfirmationSentOn != "" {
			sent, err := parseDate(in.Body.ConfirmationSentOn, "body.confirmation_sent_on")
			if err != nil {
				return nil, err
			}
			nd.ConfirmationSentOn = &sent
		}
		if nd.DonorID, err = optionalUUID(in.Body.DonorID, "body.donor_id"); err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		nd.RecordedBy = &by
		d, err := svc.Create(ctx, *nd)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "list-gift-aid-declarations",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/declarations",
		Summary:     "List Gift Aid declarations",
		Description: "Newest first, optionally one donor's. Audit-logged.",
		Tags:        []string{"Gift Aid"},
	}, func(ctx context.Context, in *declarationListInput) (*struct{ Body declarationPage }, error) {
		donor, err := optionalUUID(in.DonorID, "query.donor_id")
		if err != nil {
			return nil, err
		}
		var before *giftaid.Cursor
		if err := decodeCursor(in.Cursor, &before); err != nil {
			return nil, err
		}
		list, err := svc.List(ctx, donor, before, in.Limit)
		if err != nil {
			return nil, err
		}
		var page declarationPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, declarationBody, func(last *giftaid.Declaration) any {
			return giftaid.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body declarationPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-declaration",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/declarations/{id}",
		Summary:     "Get a Gift Aid declaration",
		Description: "Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "cancel-gift-aid-declaration",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/declarations/{id}/cancel",
		Summary:     "Cancel a Gift Aid declaration",
		Description: "The declaration stops covering gifts made from now on; gifts made before stay claimable and the record is kept six years. 409 `declaration-already-cancelled` the second time. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.Cancel(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "preview-gift-aid-claim",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims/preview",
		Summary:     "Preview a Gift Aid claim",
		Description: "The schedule a claim for gifts received from..to (UK dates, inclusive) would hold now: unclaimed gifts covered by a valid declaration, not disputed, net of refunds (wholly refunded gifts are left out), small gifts aggregated as HMRC allows. `adjustments` lists gifts claimed before and refunded since, whose Gift Aid the next claim pays back. Claims nothing. Audit-logged.",
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
		OperationID:   "create-gift-aid-claim",
		Method:        http.MethodPost,
		Path:          "/v1/gift-aid/claims",
		Summary:       "Make a Gift Aid claim",
		Description:   "Claims every eligible gift received from..to: each is marked claimed in this claim in one transaction, so no gift is ever claimed twice (409 `nothing-to-claim` when none is left). It carries every adjustment due (Gift Aid on gifts refunded after an earlier claim), each made once. Download the schedule for HMRC Charities Online from `/v1/gift-aid/claims/{id}/schedule`. Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *createClaimInput) (*struct{ Body claimWithSchedule }, error) {
		from, to, err := datesOf(in.Body.From, in.Body.To, "body")
		if err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		c, s, err := svc.CreateClaim(ctx, from, to, &by)
		if err != nil {
			return nil, err
		}
		return &struct{ Body claimWithSchedule }{Body: claimWithSchedule{Claim: claimBody(c), Schedule: previewBody(s)}}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "list-gift-aid-claims",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims",
		Summary:     "List Gift Aid claims",
		Description: "Newest first.",
		Tags:        []string{"Gift Aid"},
	}, func(ctx context.Context, in *struct {
		Limit int `query:"limit" minimum:"1" maximum:"200" default:"50"`
	}) (*struct {
		Body struct {
			Items []claim `json:"items"`
		}
	}, error) {
		list, err := svc.ListClaims(ctx, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Items []claim `json:"items"`
			}
		}{}
		out.Body.Items = make([]claim, len(list))
		for i, c := range list {
			out.Body.Items[i] = claimBody(c)
		}
		return out, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-claim-schedule",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/claims/{id}/schedule",
		Summary:     "Download a claim's HMRC schedule (CSV)",
		Description: "The claim's gifts in the column layout of HMRC's Charities Online Gift Aid schedule: Title, First name, Last name, House name or number, Postcode, Aggregated donations, Sponsored event, Donation date (DD/MM/YY), Amount (pounds, two decimals, no £). Paste it into HMRC's spreadsheet. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
		Responses:   csvOnlyResponses("The schedule, with a header line."),
	}, func(ctx context.Context, in *claimIDInput) (*csvOutput, error) {
		id, err := parseID(in.ID, "claim")
		if err != nil {
			return nil, err
		}
		c, s, err := svc.Claim(ctx, id)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := s.WriteCSV(&buf); err != nil {
			return nil, err
		}
		return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="gift-aid-claim-` + c.ID.String()[:8] + `.csv"`,
			Count: strconv.Itoa(len(s.Rows)), Body: buf.Bytes()}, nil
	})
}

func registerMyGiftAid(hapi huma.API, svc *giftaid.Service) {
	register(hapi, memberSelf, huma.Operation{
		OperationID: "list-my-gift-aid-declarations",
		Method:      http.MethodGet,
		Path:        "/v1/me/gift-aid-declarations",
		Summary:     "List my Gift Aid declarations",
		Description: "The member's own declarations, newest first (at most 100): those made while signed in and those of donor records linked to their membership, with the wording they agreed to.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body []declaration }, error) {
		ds, err := svc.MemberDeclarations(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := make([]declaration, len(ds))
		for i, d := range ds {
			out[i] = declarationBody(d)
		}
		return &struct{ Body []declaration }{Body: out}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID: "cancel-my-gift-aid-declaration",
		Method:      http.MethodPost,
		Path:        "/v1/me/gift-aid-declarations/{id}/cancel",
		Summary:     "Cancel my Gift Aid declaration",
		Description: "A donor may cancel a declaration at any time: it stops covering gifts made from now on, gifts already made stay claimable, and the record is kept six years as HMRC requires. 404 for a declaration that is not the member's; 409 `declaration-already-cancelled` the second time. Audit-logged.",
		Tags:        []string{"Self-service"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.CancelForMember(ctx, callerFrom(ctx).ID, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})
}
