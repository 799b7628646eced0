package donations

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Kinds of difference between the ledger and Stripe.
const (
	MissingInLedger  = "missing_in_ledger" // Stripe's balance moved money for a charge the ledger has nothing of
	MissingInStripe  = "missing_in_stripe" // the ledger moved money for a gift Stripe's balance has nothing of
	AmountMismatch   = "amount_mismatch"   // both have it, for different amounts (Measure says which)
	RefundMismatch   = "refund_mismatch"   // both have it, with different refunded amounts
	CurrencyMismatch = "currency_mismatch" // Stripe's balance moved it in a currency other than GBP
)

// Difference is one thing the ledger and Stripe disagree on. Nothing is
// corrected automatically: staff decide.
type Difference struct {
	Kind                  string `json:"kind"`
	Measure               string `json:"measure,omitempty"`
	DonationID            string `json:"donation_id,omitempty"`
	StripeChargeID        string `json:"stripe_charge_id,omitempty"`
	StripePaymentIntentID string `json:"stripe_payment_intent_id,omitempty"`
	StripePayoutID        string `json:"stripe_payout_id,omitempty"`
	LedgerPence           *int64 `json:"ledger_pence,omitempty"`
	StripePence           *int64 `json:"stripe_pence,omitempty"`
	Detail                string `json:"detail"`
}

// Report is one reconciliation of a period.
type Report struct {
	ID                            uuid.UUID
	PeriodStart, PeriodEnd        time.Time
	Trigger                       string
	StripeCount, LedgerCount      int
	StripeTotalPence, LedgerTotal int64
	// BalanceCount and BalanceNetPence are Stripe's balance transactions
	// for gifts, refunds and disputes and what they left in the balance;
	// LedgerNetPence is what the ledger's entries left.
	BalanceCount                    int
	BalanceNetPence, LedgerNetPence int64
	// PayoutCount and PayoutTotalPence are the payouts made to the bank.
	PayoutCount      int
	PayoutTotalPence int64
	Differences      []Difference
	CreatedAt        time.Time
}

func reportFrom(r store.ReconciliationReport) (*Report, error) {
	rep := &Report{ID: r.ID, PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, Trigger: r.Trigger, StripeCount: int(r.StripeCount),
		LedgerCount: int(r.LedgerCount), StripeTotalPence: r.StripeTotalPence, LedgerTotal: r.LedgerTotalPence, BalanceCount: int(r.BalanceCount),
		BalanceNetPence: r.BalanceNetPence, LedgerNetPence: r.LedgerNetPence, PayoutCount: int(r.PayoutCount), PayoutTotalPence: r.PayoutTotalPence, CreatedAt: r.CreatedAt}
	if err := json.Unmarshal(r.Differences, &rep.Differences); err != nil {
		return nil, fmt.Errorf("reconciliation report %s: %w", r.ID, err)
	}
	return rep, nil
}

// Reconcile compares the ledger's entries dated in [start, end) with
// Stripe's balance transactions created then (gross, fees, refunds,
// disputes, charge by charge) and the payouts made then, stores the
// report and, when they differ, emails the treasurers. trigger is
// "schedule" or "staff".
func (s *Service) Reconcile(ctx context.Context, start, end time.Time, trigger string) (*Report, error) {
	if !end.After(start) || end.Sub(start) > 31*24*time.Hour {
		return nil, hpa.Invalid("body.to", "the period must be positive and at most 31 days")
	}
	sc, err := s.stripeClient()
	if err != nil {
		return nil, err
	}
	rep := &Report{PeriodStart: start, PeriodEnd: end, Trigger: trigger}
	if err := s.reconcileBalance(ctx, sc, start, end, rep); err != nil {
		return nil, err
	}
	if err := s.storeReport(ctx, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Service) storeReport(ctx context.Context, rep *Report) error {
	if rep.Differences == nil {
		rep.Differences = []Difference{}
	}
	diffs, err := json.Marshal(rep.Differences)
	if err != nil {
		return err
	}
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := store.Q.ReconciliationInsert(ctx, tx, store.ReconciliationInsertParams{PeriodStart: rep.PeriodStart, PeriodEnd: rep.PeriodEnd,
			Trigger: rep.Trigger, StripeCount: int32(rep.StripeCount), StripeTotalPence: rep.StripeTotalPence, LedgerCount: int32(rep.LedgerCount),
			LedgerTotalPence: rep.LedgerTotal, Differences: diffs, DifferenceCount: int32(len(rep.Differences)),
			BalanceCount: int32(rep.BalanceCount), BalanceNetPence: rep.BalanceNetPence, LedgerNetPence: rep.LedgerNetPence, PayoutCount: int32(rep.PayoutCount),
			PayoutTotalPence: rep.PayoutTotalPence})
		if err != nil {
			return fmt.Errorf("insert reconciliation: %w", err)
		}
		rep.ID, rep.CreatedAt = row.ID, row.CreatedAt
		actor := audit.ActorFrom(ctx)
		if rep.Trigger == "schedule" {
			actor = systemActor
		}
		if err := audit.RecordAs(ctx, tx, actor, audit.Event{Action: "donation.reconcile", TargetType: "reconciliation_report", TargetID: row.ID.String(),
			Details: map[string]any{"differences": len(rep.Differences)}}); err != nil {
			return err
		}
		if len(rep.Differences) == 0 {
			return nil
		}
		return s.notifyTreasurers(ctx, tx, rep)
	})
}

func (s *Service) notifyTreasurers(ctx context.Context, tx pgx.Tx, rep *Report) error {
	emails, err := store.Q.StaffTreasurerEmails(ctx, tx)
	if err != nil {
		return fmt.Errorf("emails staff treasurer: %w", err)
	}
	diffs := make([]map[string]any, 0, len(rep.Differences))
	for i, d := range rep.Differences {
		if i == 50 {
			diffs = append(diffs, map[string]any{"Kind": "more", "Detail": fmt.Sprintf("%d more in the report", len(rep.Differences)-50)})
			break
		}
		diffs = append(diffs, map[string]any{"Kind": d.Kind, "Detail": d.Detail})
	}
	period := rep.PeriodStart.In(London).Format(longDate)
	if last := rep.PeriodEnd.Add(-time.Second).In(London).Format(longDate); last != period {
		period += " to " + last
	}
	for _, to := range emails {
		if err := s.outbox.Enqueue(ctx, tx, mail.Email{Template: "reconciliation-report", To: to, Data: map[string]any{
			"Period": period, "DifferenceCount": len(rep.Differences), "Differences": diffs, "StripeCount": rep.StripeCount,
			"StripeTotal": pounds(rep.StripeTotalPence), "LedgerCount": rep.LedgerCount, "LedgerTotal": pounds(rep.LedgerTotal), "ReportID": rep.ID.String(),
		}}); err != nil {
			return err
		}
	}
	return nil
}

// ReportCursor is a position in the list of reports.
type ReportCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

// Reports lists reconciliation reports newest first.
func (s *Service) Reports(ctx context.Context, before *ReportCursor, limit int) ([]*Report, error) {
	p := store.ReconciliationListParams{PageSize: int32(limit)}
	if before != nil {
		p.BeforeCreated, p.BeforeID = &before.CreatedAt, &before.ID
	}
	rows, err := store.Q.ReconciliationList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list reconciliation: %w", err)
	}
	out := make([]*Report, len(rows))
	for i, r := range rows {
		if out[i], err = reportFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetReport returns one reconciliation report.
func (s *Service) GetReport(ctx context.Context, id uuid.UUID) (*Report, error) {
	r, err := store.Q.ReconciliationGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no reconciliation report has this ID")
	}
	if err != nil {
		return nil, err
	}
	return reportFrom(r)
}
