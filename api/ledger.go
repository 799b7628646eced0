package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/donations"
)

type donation struct {
	ID                    string        `json:"id" format:"uuid"`
	DonorID               string        `json:"donor_id,omitempty" format:"uuid"`
	DonorName             string        `json:"donor_name,omitempty"`
	DonorEmail            string        `json:"donor_email,omitempty"`
	Campaign              string        `json:"campaign" example:"general"`
	AmountPence           int64         `json:"amount_pence" example:"2500"`
	RefundedPence         int64         `json:"refunded_pence"`
	FeePence              *int64        `json:"fee_pence,omitempty" doc:"Stripe's fee, when known."`
	Currency              string        `json:"currency" enum:"GBP"`
	Channel               string        `json:"channel" enum:"online,offline"`
	Method                string        `json:"method" enum:"card,bacs_debit,stripe,cheque,bank_transfer,cash,contactless"`
	Frequency             GiftFrequency `json:"frequency"`
	Status                string        `json:"status" enum:"paid,partially_refunded,refunded,disputed"`
	DisputeStatus         string        `json:"dispute_status,omitempty" doc:"Stripe's status of a dispute on the gift: warning_needs_response, warning_under_review, warning_closed (an inquiry), needs_response, under_review, won, lost."`
	DisputeFeePence       int64         `json:"dispute_fee_pence,omitempty" doc:"What Stripe charged for a dispute on the gift."`
	StripePaymentIntentID string        `json:"stripe_payment_intent_id,omitempty"`
	StripeChargeID        string        `json:"stripe_charge_id,omitempty"`
	StripeInvoiceID       string        `json:"stripe_invoice_id,omitempty"`
	SubscriptionID        string        `json:"subscription_id,omitempty" format:"uuid"`
	GiftAidDeclarationID  string        `json:"gift_aid_declaration_id,omitempty" format:"uuid" doc:"The declaration made with this gift, if any (a donor's standing declaration may also cover it)."`
	GiftAidClaimID        string        `json:"gift_aid_claim_id,omitempty" format:"uuid" doc:"The live Gift Aid claim (not rejected or void) that holds this gift."`
	SmallDonation         bool          `json:"small_donation,omitempty" doc:"A small cash or contactless gift for the Gift Aid Small Donations Scheme."`
	Reference             string        `json:"reference,omitempty"`
	PaidAt                time.Time     `json:"paid_at"`
	CreatedAt             time.Time     `json:"created_at"`
	Refunds               []refund      `json:"refunds,omitempty"`
}

type refund struct {
	ID             string    `json:"id" format:"uuid"`
	StripeRefundID string    `json:"stripe_refund_id,omitempty"`
	AmountPence    int64     `json:"amount_pence"`
	Reason         string    `json:"reason"`
	Note           string    `json:"note,omitempty"`
	Status         string    `json:"status" enum:"succeeded,failed,canceled" doc:"failed or canceled: Stripe did not make the refund, and it does not count."`
	CreatedAt      time.Time `json:"created_at"`
}

func donationBody(d *donations.Donation) donation {
	return donation{ID: d.ID.String(), DonorID: idString(d.DonorID), DonorName: d.DonorName, DonorEmail: d.DonorEmail, Campaign: d.Campaign,
		AmountPence: d.AmountPence, RefundedPence: d.RefundedPence, FeePence: d.FeePence, Currency: d.Currency, Channel: d.Channel, Method: d.Method,
		Frequency: GiftFrequency(d.Frequency), Status: d.Status, DisputeStatus: d.DisputeStatus, DisputeFeePence: d.DisputeFeePence, StripePaymentIntentID: d.StripePaymentIntentID,
		StripeChargeID: d.StripeChargeID, StripeInvoiceID: d.StripeInvoiceID, SubscriptionID: idString(d.SubscriptionID),
		GiftAidDeclarationID: idString(d.GiftAidDeclarationID), GiftAidClaimID: idString(d.GiftAidClaimID), SmallDonation: d.SmallDonation, Reference: d.Reference,
		PaidAt: d.PaidAt.UTC(), CreatedAt: d.CreatedAt.UTC()}
}

type DonationFilterQuery struct {
	From      string        `query:"from" format:"date" doc:"Only gifts paid on or after this UK date (YYYY-MM-DD)."`
	To        string        `query:"to" format:"date" doc:"Only gifts paid on or before this UK date."`
	Campaign  string        `query:"campaign" maxLength:"60"`
	Channel   string        `query:"channel" enum:"online,offline"`
	Status    string        `query:"status" enum:"paid,partially_refunded,refunded,disputed"`
	Frequency GiftFrequency `query:"frequency"`
	DonorID   string        `query:"donor_id" format:"uuid"`
}

func (q DonationFilterQuery) filter() (donations.Filter, error) {
	start, end, err := periodFrom(q.From, q.To, "query")
	if err != nil {
		return donations.Filter{}, err
	}
	donor, err := optionalUUID(q.DonorID, "query.donor_id")
	if err != nil {
		return donations.Filter{}, err
	}
	return donations.Filter{From: start, To: end, Campaign: q.Campaign, Channel: q.Channel, Status: q.Status, Frequency: string(q.Frequency), DonorID: donor}, nil
}

type donationListInput struct {
	PageQuery
	DonationFilterQuery
}

type donationPage struct {
	Items      []donation `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

type donationIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Donation ID."`
}

type offlineInput struct {
	IdempotencyKey
	RawBody []byte
	Body    struct {
		AmountPence          int64  `json:"amount_pence" minimum:"1" example:"5000"`
		Method               string `json:"method" enum:"cheque,bank_transfer,cash"`
		ReceivedOn           string `json:"received_on" format:"date" doc:"The UK date the gift was received."`
		Campaign             string `json:"campaign" minLength:"1" maxLength:"60" example:"general"`
		DonorID              string `json:"donor_id,omitempty" format:"uuid" doc:"An existing donor (find one with GET /v1/donors?email=); or give donor_email and/or donor_name for a new donor record."`
		DonorEmail           string `json:"donor_email,omitempty" format:"email" maxLength:"254"`
		DonorName            string `json:"donor_name,omitempty" maxLength:"200"`
		GiftAidDeclarationID string `json:"gift_aid_declaration_id,omitempty" format:"uuid" doc:"A declaration this donor made for this gift (scope this_gift)."`
		Reference            string `json:"reference,omitempty" maxLength:"200" doc:"Cheque number, bank reference…"`
		SendReceipt          bool   `json:"send_receipt,omitempty" doc:"Email the donor a receipt (needs an email address)."`
	}
}

type refundInput struct {
	IdempotencyKey
	ID      string `path:"id" maxLength:"64" doc:"Donation ID."`
	RawBody []byte
	Body    struct {
		AmountPence int64  `json:"amount_pence" minimum:"1" doc:"Pence to refund: at most what is left of the gift."`
		Reason      string `json:"reason" enum:"requested_by_customer,duplicate,fraudulent,other"`
		Note        string `json:"note,omitempty" maxLength:"500"`
	}
}

func csvOnlyResponses(description string) map[string]*huma.Response {
	return map[string]*huma.Response{"200": {Description: description, Content: map[string]*huma.MediaType{
		"text/csv": {Schema: &huma.Schema{Type: "string"}},
	}}}
}

type donationSummaryInput struct {
	From string `query:"from" format:"date" required:"true" doc:"First UK date of the period."`
	To   string `query:"to" format:"date" required:"true" doc:"Last UK date of the period."`
}

type summaryBody struct {
	From       time.Time       `json:"from"`
	To         time.Time       `json:"to"`
	ByCampaign []campaignTotal `json:"by_campaign"`
	ByMonth    []monthTotal    `json:"by_month"`
	ByChannel  []channelTotal  `json:"by_channel"`
}

type monthTotal struct {
	Month         string `json:"month" example:"2026-04"`
	GrossPence    int64  `json:"gross_pence" doc:"Gifts received in the month."`
	RefundedPence int64  `json:"refunded_pence" doc:"Refunds made in the month (less refunds that failed), whenever the gift was."`
	DisputedPence int64  `json:"disputed_pence" doc:"Disputed payments withdrawn in the month, less those reinstated."`
	FeePence      int64  `json:"fee_pence" doc:"Stripe's fees, dispute fees included, taken in the month."`
	GiftCount     int64  `json:"gift_count"`
}

type channelTotal struct {
	Channel       string        `json:"channel" enum:"online,offline"`
	Frequency     GiftFrequency `json:"frequency"`
	GrossPence    int64         `json:"gross_pence"`
	RefundedPence int64         `json:"refunded_pence"`
	DisputedPence int64         `json:"disputed_pence"`
	FeePence      int64         `json:"fee_pence"`
	GiftCount     int64         `json:"gift_count"`
}

func registerLedger(hapi huma.API, svc *donations.Service, keys idempotencyStore) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "list-donations",
		Method:      http.MethodGet,
		Path:        "/v1/donations",
		Summary:     "List gifts",
		Description: "The ledger, newest first, filtered and cursor-paginated. Audit-logged.",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *donationListInput) (*struct{ Body donationPage }, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		f.Limit = in.Limit
		if err := decodeCursor(in.Cursor, &f.Before); err != nil {
			return nil, err
		}
		list, err := svc.ListDonations(ctx, f)
		if err != nil {
			return nil, err
		}
		var page donationPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, func(d donations.Donation) donation { return donationBody(&d) }, func(last donations.Donation) any {
			return donations.Cursor{At: last.PaidAt, ID: last.ID}
		})
		return &struct{ Body donationPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-donation",
		Method:      http.MethodGet,
		Path:        "/v1/donations/{id}",
		Summary:     "Get a gift",
		Description: "One gift with its refunds. Audit-logged.",
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *donationIDInput) (*struct{ Body donation }, error) {
		id, err := parseID(in.ID, "donation")
		if err != nil {
			return nil, err
		}
		d, refunds, err := svc.GetDonation(ctx, id)
		if err != nil {
			return nil, err
		}
		body := donationBody(d)
		for _, r := range refunds {
			body.Refunds = append(body.Refunds, refund{ID: r.ID.String(), StripeRefundID: r.StripeRefundID, AmountPence: r.AmountPence, Reason: r.Reason, Note: r.Note, Status: r.Status, CreatedAt: r.CreatedAt.UTC()})
		}
		return &struct{ Body donation }{Body: body}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "record-offline-donation",
		Method:      http.MethodPost,
		Path:        "/v1/donations/offline",
		Summary:     "Record a gift received by cheque, bank transfer or cash",
		Description: "Enters an offline gift in the ledger, optionally for a donor and covered by their Gift Aid declaration. `donor_id` names an existing donor; `donor_email` and `donor_name` make a new donor record, whoever else gave that address (merge records that are one person with `POST /v1/donors/{id}/merge`). Send an `Idempotency-Key` so a retried press records one gift. Audit-logged.",
		Tags:        []string{"Donations"},
		Responses:   map[string]*huma.Response{"201": jsonResponse[donation](hapi, "The gift, as the ledger holds it.")},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *offlineInput) (*replayableOutput, error) {
		received, err := parseDate(in.Body.ReceivedOn, "body.received_on")
		if err != nil {
			return nil, err
		}
		donor, err := optionalUUID(in.Body.DonorID, "body.donor_id")
		if err != nil {
			return nil, err
		}
		decl, err := optionalUUID(in.Body.GiftAidDeclarationID, "body.gift_aid_declaration_id")
		if err != nil {
			return nil, err
		}
		if in.Body.SendReceipt && in.Body.DonorEmail == "" && donor == nil {
			return nil, invalidField("body.send_receipt", "needs donor_email or donor_id")
		}
		gift := donations.OfflineGift{AmountPence: in.Body.AmountPence, Method: in.Body.Method, ReceivedOn: received,
			Campaign: in.Body.Campaign, DonorID: donor, DonorEmail: in.Body.DonorEmail, DonorName: in.Body.DonorName,
			GiftAidDeclarationID: decl, Reference: in.Body.Reference, SendReceipt: in.Body.SendReceipt}
		by := callerFrom(ctx).ID
		return idempotentLeased(ctx, keys, "record-offline-donation", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusCreated, func(ctx context.Context) (any, error) {
			d, err := svc.RecordOffline(ctx, gift, by)
			if err != nil {
				return nil, err
			}
			return donationBody(d), nil
		})
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "refund-donation",
		Method:      http.MethodPost,
		Path:        "/v1/donations/{id}/refunds",
		Summary:     "Refund part or all of a gift",
		Description: "Online gifts are refunded through Stripe; offline ones are recorded. A refund larger than what is left of the gift is refused (422 `refund-exceeds-gift`); a disputed gift cannot be refunded (409). Send an `Idempotency-Key`: a retried press replays the first answer instead of refunding twice, and a retry after Stripe did not answer passes Stripe the same idempotency key, so Stripe refunds once. Audit-logged.",
		Tags:        []string{"Donations"},
		Responses:   map[string]*huma.Response{"201": jsonResponse[donation](hapi, "The gift with the refund applied.")},
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *refundInput) (*replayableOutput, error) {
		id, err := parseID(in.ID, "donation")
		if err != nil {
			return nil, err
		}
		req := donations.RefundRequest{DonationID: id, AmountPence: in.Body.AmountPence, Reason: in.Body.Reason, Note: in.Body.Note, By: callerFrom(ctx).ID}
		if key := in.IdempotencyKey.IdempotencyKey; key != "" {
			req.RequestKey = callerScope(ctx) + "\x00" + key
		}
		return idempotentLeased(ctx, keys, "refund-donation", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusCreated, func(ctx context.Context) (any, error) {
			d, err := svc.RefundDonation(ctx, req)
			if err != nil {
				return nil, err
			}
			return donationBody(d), nil
		})
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "export-donations",
		Method:      http.MethodGet,
		Path:        "/v1/donations/export",
		Summary:     "Export gifts as CSV",
		Description: "Every gift matching the filters, newest first, as CSV (amounts in pounds with two decimals). Audit-logged.",
		Tags:        []string{"Donations"},
		Responses:   csvOnlyResponses("The gifts, one per line, with a header line."),
	}, func(ctx context.Context, in *DonationFilterQuery) (*documentOutput, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		n, err := svc.ExportCSV(ctx, f, &buf)
		if err != nil {
			return nil, err
		}
		return &documentOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="donations.csv"`, Count: strconv.Itoa(n), Body: buf.Bytes()}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-donation-summary",
		Method:      http.MethodGet,
		Path:        "/v1/donations/summary",
		Summary:     "Get totals by campaign, month and channel",
		Description: "What moved in a period (UK dates, inclusive), by campaign, by month and by channel and frequency, worked out from the ledger's entries: each gift, refund, dispute and fee counts when it happened, so a closed month's figures never change (a December refund of a November gift is December's, as in the month-end report).",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *donationSummaryInput) (*struct{ Body summaryBody }, error) {
		start, end, err := periodFrom(in.From, in.To, "query")
		if err != nil {
			return nil, err
		}
		s, err := svc.Summarise(ctx, start, end)
		if err != nil {
			return nil, err
		}
		body := summaryBody{From: start.UTC(), To: end.UTC(), ByCampaign: []campaignTotal{}, ByMonth: []monthTotal{}, ByChannel: []channelTotal{}}
		for _, c := range s.ByCampaign {
			body.ByCampaign = append(body.ByCampaign, campaignTotal{Campaign: c.Slug, Name: c.Name, TotalPence: c.TotalPence, GiftCount: c.GiftCount})
		}
		for _, m := range s.ByMonth {
			body.ByMonth = append(body.ByMonth, monthTotal{Month: m.Month, GrossPence: m.GrossPence, RefundedPence: m.RefundedPence,
				DisputedPence: m.DisputedPence, FeePence: m.FeePence, GiftCount: m.Gifts})
		}
		for _, c := range s.ByChannel {
			body.ByChannel = append(body.ByChannel, channelTotal{Channel: c.Channel, Frequency: GiftFrequency(c.Frequency), GrossPence: c.GrossPence, RefundedPence: c.RefundedPence,
				DisputedPence: c.DisputedPence, FeePence: c.FeePence, GiftCount: c.Gifts})
		}
		return &struct{ Body summaryBody }{Body: body}, nil
	})
}
