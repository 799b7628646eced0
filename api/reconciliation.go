package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/donations"
)

type difference struct {
	Kind                  string `json:"kind" enum:"missing_in_ledger,missing_in_stripe,amount_mismatch,refund_mismatch,currency_mismatch"`
	Measure               string `json:"measure,omitempty" enum:"gross,fee,disputes,payout" doc:"What an amount_mismatch compares: the gift's gross, Stripe's fee on it, the funds and fees a dispute moved, or a payout against the balance transactions it paid out."`
	DonationID            string `json:"donation_id,omitempty" format:"uuid"`
	StripeChargeID        string `json:"stripe_charge_id,omitempty"`
	StripePaymentIntentID string `json:"stripe_payment_intent_id,omitempty"`
	StripePayoutID        string `json:"stripe_payout_id,omitempty" doc:"The payout an amount_mismatch of measure payout is about."`
	LedgerPence           *int64 `json:"ledger_pence,omitempty"`
	StripePence           *int64 `json:"stripe_pence,omitempty"`
	Detail                string `json:"detail"`
}

type reconciliationReport struct {
	ID               string       `json:"id" format:"uuid"`
	PeriodStart      time.Time    `json:"period_start"`
	PeriodEnd        time.Time    `json:"period_end"`
	Trigger          string       `json:"trigger" enum:"schedule,staff"`
	StripeCount      int          `json:"stripe_count" doc:"Stripe's balance transactions for charges created in the period."`
	StripeTotalPence int64        `json:"stripe_total_pence" doc:"Their GBP gross total."`
	LedgerCount      int          `json:"ledger_count" doc:"Online gifts with a gift entry dated in the period."`
	LedgerTotalPence int64        `json:"ledger_total_pence"`
	BalanceCount     int          `json:"balance_count" doc:"Stripe's balance transactions for gifts, refunds and disputes in the period."`
	BalanceNetPence  int64        `json:"balance_net_pence" doc:"What they left in Stripe's balance, after fees."`
	LedgerNetPence   int64        `json:"ledger_net_pence" doc:"What the ledger's online entries dated in the period add up to."`
	PayoutCount      int          `json:"payout_count" doc:"Payouts to the bank created in the period (not failed or cancelled)."`
	PayoutTotalPence int64        `json:"payout_total_pence"`
	Differences      []difference `json:"differences" doc:"Empty when the ledger and Stripe agree. Nothing is corrected automatically."`
	CreatedAt        time.Time    `json:"created_at"`
}

func reportBody(r *donations.Report) reconciliationReport {
	out := reconciliationReport{ID: r.ID.String(), PeriodStart: r.PeriodStart.UTC(), PeriodEnd: r.PeriodEnd.UTC(), Trigger: r.Trigger, StripeCount: r.StripeCount,
		StripeTotalPence: r.StripeTotalPence, LedgerCount: r.LedgerCount, LedgerTotalPence: r.LedgerTotal, BalanceCount: r.BalanceCount,
		BalanceNetPence: r.BalanceNetPence, LedgerNetPence: r.LedgerNetPence, PayoutCount: r.PayoutCount, PayoutTotalPence: r.PayoutTotalPence,
		Differences: make([]difference, len(r.Differences)), CreatedAt: r.CreatedAt.UTC()}
	for i, d := range r.Differences {
		out.Differences[i] = difference(d)
	}
	return out
}

type reportPage struct {
	Items      []reconciliationReport `json:"items"`
	NextCursor string                 `json:"next_cursor,omitempty"`
}

type reportIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Report ID."`
}

type runReconciliationInput struct {
	Body struct {
		From string `json:"from" format:"date" doc:"First UK date to reconcile."`
		To   string `json:"to" format:"date" doc:"Last UK date to reconcile (at most 31 days in all)."`
	}
}

func registerReconciliation(hapi huma.API, svc *donations.Service) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "list-reconciliation-reports",
		Method:      http.MethodGet,
		Path:        "/v1/reconciliation-reports",
		Summary:     "List reconciliation reports",
		Description: "Every night a job compares yesterday's ledger entries with Stripe's balance transactions (gross, fees, refunds, disputes, charge by charge) and checks yesterday's payouts against what they paid out, and stores a report (treasurers are emailed when they differ). Newest first.",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *PageQuery) (*struct{ Body reportPage }, error) {
		var before *donations.ReportCursor
		if err := decodeCursor(in.Cursor, &before); err != nil {
			return nil, err
		}
		list, err := svc.Reports(ctx, before, in.Limit)
		if err != nil {
			return nil, err
		}
		var page reportPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, reportBody, func(last *donations.Report) any {
			return donations.ReportCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body reportPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-reconciliation-report",
		Method:      http.MethodGet,
		Path:        "/v1/reconciliation-reports/{id}",
		Summary:     "Get a reconciliation report",
		Description: "One report with every difference found.",
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *reportIDInput) (*struct{ Body reconciliationReport }, error) {
		id, err := parseID(in.ID, "reconciliation report")
		if err != nil {
			return nil, err
		}
		r, err := svc.GetReport(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body reconciliationReport }{Body: reportBody(r)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "run-reconciliation",
		Method:        http.MethodPost,
		Path:          "/v1/reconciliation-reports",
		Summary:       "Reconcile a period now",
		Description:   "Runs the nightly comparison for any period of up to 31 days and returns its report (stored like the nightly ones; treasurers are emailed about differences). Audit-logged.",
		Tags:          []string{"Donations"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *runReconciliationInput) (*struct{ Body reconciliationReport }, error) {
		start, end, err := periodFrom(in.Body.From, in.Body.To, "body")
		if err != nil {
			return nil, err
		}
		r, err := svc.Reconcile(ctx, start, end, "staff")
		if err != nil {
			return nil, err
		}
		return &struct{ Body reconciliationReport }{Body: reportBody(r)}, nil
	})
}
