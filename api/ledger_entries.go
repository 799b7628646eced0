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

type ledgerEntry struct {
	ID             int64     `json:"id" example:"1042"`
	Kind           string    `json:"kind" enum:"gift,refund,refund_reversed,dispute,dispute_reversal,fee,dispute_fee,gift_aid_claimed,gift_aid_adjusted"`
	AmountPence    int64     `json:"amount_pence" example:"-1000" doc:"Signed: money in is positive, money out negative."`
	DonationID     string    `json:"donation_id" format:"uuid" doc:"The gift the money moved for."`
	Campaign       string    `json:"campaign" example:"general"`
	GiftAidClaimID string    `json:"gift_aid_claim_id,omitempty" format:"uuid" doc:"The claim a Gift Aid entry belongs to."`
	OccurredAt     time.Time `json:"occurred_at" doc:"When the money moved (Stripe's time, or the staff action's)."`
	Source         string    `json:"source" example:"evt_1PqR2s" doc:"What wrote the entry: a Stripe event ID, staff:<id>, stripe:<balance transaction> or backfill."`
	MovementKey    string    `json:"movement_key" example:"refund:evt_1PqR2s" doc:"Names the money movement: the ledger holds one entry per key."`
	CreatedAt      time.Time `json:"created_at"`
}

func ledgerEntryBody(e donations.Entry) ledgerEntry {
	return ledgerEntry{ID: e.ID, Kind: e.Kind, AmountPence: e.AmountPence, DonationID: e.DonationID.String(), Campaign: e.Campaign,
		GiftAidClaimID: idString(e.GiftAidClaimID), OccurredAt: e.OccurredAt.UTC(), Source: e.Source, MovementKey: e.MovementKey, CreatedAt: e.CreatedAt.UTC()}
}

// LedgerFilterQuery narrows the ledger's entries.
type LedgerFilterQuery struct {
	From     string `query:"from" format:"date" doc:"Only entries dated on or after this UK date (YYYY-MM-DD)."`
	To       string `query:"to" format:"date" doc:"Only entries dated on or before this UK date."`
	Campaign string `query:"campaign" maxLength:"60" doc:"Only this campaign (fund)."`
}

func (q LedgerFilterQuery) filter() (donations.EntryFilter, error) {
	start, end, err := periodFrom(q.From, q.To, "query")
	if err != nil {
		return donations.EntryFilter{}, err
	}
	return donations.EntryFilter{From: start, To: end, Campaign: q.Campaign}, nil
}

type ledgerListInput struct {
	PageQuery
	LedgerFilterQuery
	Kind       string `query:"kind" enum:"gift,refund,refund_reversed,dispute,dispute_reversal,fee,dispute_fee,gift_aid_claimed,gift_aid_adjusted"`
	DonationID string `query:"donation_id" format:"uuid" doc:"Only the entries of this gift."`
}

type ledgerPage struct {
	Items      []ledgerEntry `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

type monthEndInput struct {
	Month string `query:"month" required:"true" pattern:"^[0-9]{4}-[0-9]{2}$" example:"2026-11" doc:"The UK month, YYYY-MM."`
}

type monthEndTotals struct {
	Campaign      string `json:"campaign,omitempty" example:"general" doc:"Absent on the month's overall total."`
	GrossPence    int64  `json:"gross_pence" doc:"Gifts received."`
	GiftCount     int64  `json:"gift_count"`
	RefundsPence  int64  `json:"refunds_pence" doc:"Refunds made, less refunds that failed (negative: money out)."`
	DisputesPence int64  `json:"disputes_pence" doc:"Funds disputes took, less funds reinstated."`
	FeesPence     int64  `json:"fees_pence" doc:"Stripe's fees on gifts and disputes."`
	NetPence      int64  `json:"net_pence" doc:"Gross plus refunds, disputes and fees: donors' money kept."`
	GiftAidPence  int64  `json:"gift_aid_pence" doc:"Gift Aid claimed from HMRC less Gift Aid paid back, by claims filed in the month."`
}

type monthEndBody struct {
	Month      string           `json:"month" example:"2026-11"`
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to" doc:"The first moment after the month."`
	ByCampaign []monthEndTotals `json:"by_campaign"`
	Total      monthEndTotals   `json:"total"`
}

func monthEndTotalsBody(t donations.MonthTotal) monthEndTotals {
	return monthEndTotals{Campaign: t.Campaign, GrossPence: t.GrossPence, GiftCount: t.Gifts, RefundsPence: t.RefundsPence, DisputesPence: t.DisputesPence,
		FeesPence: t.FeesPence, NetPence: t.NetPence, GiftAidPence: t.GiftAidPence}
}

type ledgerExportInput struct {
	LedgerFilterQuery
	Layout string `query:"layout" required:"true" enum:"xero,quickbooks" doc:"xero: Xero's bank statement import (*Date, *Amount, Payee, Description, Reference, Cheque Number). quickbooks: QuickBooks Online's three-column bank upload (Date, Description, Amount). Dates DD/MM/YYYY."`
}

func registerLedgerEntries(hapi huma.API, svc *donations.Service) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "list-ledger-entries",
		Method:      http.MethodGet,
		Path:        "/v1/ledger/entries",
		Summary:     "List ledger entries",
		Description: "The append-only ledger: one entry per movement of money (gift, refund, dispute, fee, Gift Aid), dated when it happened, oldest first, cursor-paginated. Entries are never changed: a refund in December of a November gift is a December entry. Audit-logged.",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *ledgerListInput) (*struct{ Body ledgerPage }, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		if f.DonationID, err = optionalUUID(in.DonationID, "query.donation_id"); err != nil {
			return nil, err
		}
		f.Kind, f.Limit = in.Kind, in.Limit
		if err := decodeCursor(in.Cursor, &f.After); err != nil {
			return nil, err
		}
		list, err := svc.ListEntries(ctx, f)
		if err != nil {
			return nil, err
		}
		var page ledgerPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, ledgerEntryBody, func(last donations.Entry) any {
			return donations.EntryCursor{At: last.OccurredAt, ID: last.ID}
		})
		return &struct{ Body ledgerPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-month-end-report",
		Method:      http.MethodGet,
		Path:        "/v1/ledger/month-end",
		Summary:     "Get a month-end report",
		Description: "A UK month's gross, refunds, disputes, fees, net and Gift Aid, by campaign and overall, from the ledger entries dated in the month. A month's report never changes once the month is over: later refunds, disputes and claims are entries of the month they happen in.",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *monthEndInput) (*struct{ Body monthEndBody }, error) {
		r, err := svc.MonthEndReport(ctx, in.Month)
		if err != nil {
			return nil, err
		}
		body := monthEndBody{Month: r.Month, From: r.From.UTC(), To: r.To.UTC(), ByCampaign: make([]monthEndTotals, len(r.ByCampaign)), Total: monthEndTotalsBody(r.Total)}
		body.Total.Campaign = ""
		for i, t := range r.ByCampaign {
			body.ByCampaign[i] = monthEndTotalsBody(t)
		}
		return &struct{ Body monthEndBody }{Body: body}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "export-ledger",
		Method:      http.MethodGet,
		Path:        "/v1/ledger/export",
		Summary:     "Export the ledger for an accountant",
		Description: "The ledger's entries for a period (UK dates, inclusive) and optionally one campaign (fund), oldest first, as CSV in Xero's or QuickBooks Online's bank import layout: one row per movement of money, amounts in pounds, money out negative. Donors' names and addresses are left out. Audit-logged.",
		Tags:        []string{"Donations"},
		Responses:   csvOnlyResponses("The entries, one per line, with the layout's header line."),
	}, func(ctx context.Context, in *ledgerExportInput) (*documentOutput, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		n, err := svc.ExportEntries(ctx, f, in.Layout, &buf)
		if err != nil {
			return nil, err
		}
		name := "ledger-" + in.Layout + ".csv"
		return &documentOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Count: strconv.Itoa(n), Body: buf.Bytes()}, nil
	})
}
