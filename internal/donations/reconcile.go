package donations

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
)

// Kinds of difference between the ledger and Stripe.
const (
	MissingInLedger  = "missing_in_ledger" // Stripe took a payment the ledger lacks
	MissingInStripe  = "missing_in_stripe" // the ledger has a payment Stripe does not show as succeeded
	AmountMismatch   = "amount_mismatch"   // both have it, for different amounts
	RefundMismatch   = "refund_mismatch"   // both have it, with different refunded amounts
	CurrencyMismatch = "currency_mismatch" // Stripe took it in a currency other than GBP
)

// Difference is one thing the ledger and Stripe disagree on. Nothing is
// corrected automatically: staff decide.
type Difference struct {
	Kind                  string `json:"kind"`
	DonationID            string `json:"donation_id,omitempty"`
	StripeChargeID        string `json:"stripe_charge_id,omitempty"`
	StripePaymentIntentID string `json:"stripe_payment_intent_id,omitempty"`
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
	Differences                   []Difference
	CreatedAt                     time.Time
}

func reportFrom(r store.ReconciliationReport) (*Report, error) {
	rep := &Report{ID: r.ID, PeriodStart: r.PeriodStart, PeriodEnd: r.PeriodEnd, Trigger: r.Trigger, StripeCount: int(r.StripeCount),
		LedgerCount: int(r.LedgerCount), StripeTotalPence: r.StripeTotalPence, LedgerTotal: r.LedgerTotalPence, CreatedAt: r.CreatedAt}
	if err := json.Unmarshal(r.Differences, &rep.Differences); err != nil {
		return nil, fmt.Errorf("reconciliation report %s: %w", r.ID, err)
	}
	return rep, nil
}

// Reconcile compares the ledger's online gifts paid in [start, end) with
// Stripe's succeeded charges created then, stores the report and, when
// they differ, emails the treasurers. trigger is "schedule" or "staff".
func (s *Service) Reconcile(ctx context.Context, start, end time.Time, trigger string) (*Report, error) {
	if !end.After(start) || end.Sub(start) > 31*24*time.Hour {
		return nil, hpa.Invalid("body.to", "the period must be positive and at most 31 days")
	}
	sc, err := s.stripeClient()
	if err != nil {
		return nil, err
	}
	params := &stripe.ChargeListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: start.Unix(), LesserThan: end.Unix()}}
	params.Limit = stripe.Int64(100)
	var charges []*stripe.Charge
	for ch, err := range sc.V1Charges.List(ctx, params) {
		if err != nil {
			return nil, s.stripeUnavailable(ctx, "list charges", err)
		}
		// Filter here too: the period is the contract, whatever the API returns.
		created := time.Unix(ch.Created, 0)
		if ch.Status == stripe.ChargeStatusSucceeded && !created.Before(start) && created.Before(end) {
			charges = append(charges, ch)
		}
	}
	ledger, err := store.Q.DonationListOnlineForPeriod(ctx, s.db, store.DonationListOnlineForPeriodParams{FromTime: start, ToTime: end})
	if err != nil {
		return nil, err
	}
	rep := &Report{PeriodStart: start, PeriodEnd: end, Trigger: trigger, StripeCount: len(charges), LedgerCount: len(ledger)}
	byCharge, byIntent := map[string]int{}, map[string]int{}
	for i, d := range ledger {
		rep.LedgerTotal += d.AmountPence
		if d.StripeChargeID != nil {
			byCharge[*d.StripeChargeID] = i
		}
		if d.StripePaymentIntentID != nil {
			byIntent[*d.StripePaymentIntentID] = i
		}
	}
	matched := make([]bool, len(ledger))
	for _, ch := range charges {
		pi := idOf(ch.PaymentIntent)
		if strings.EqualFold(string(ch.Currency), "gbp") {
			rep.StripeTotalPence += ch.Amount
		} else {
			rep.Differences = append(rep.Differences, Difference{Kind: CurrencyMismatch, StripeChargeID: ch.ID, StripePaymentIntentID: pi,
				Detail: fmt.Sprintf("Stripe charge %s is in %s, not GBP", ch.ID, strings.ToUpper(string(ch.Currency)))})
		}
		i, ok := byCharge[ch.ID]
		if !ok && pi != "" {
			i, ok = byIntent[pi]
		}
		if !ok {
			n, err := store.Q.DonationCountByStripeIDs(ctx, s.db, store.DonationCountByStripeIDsParams{PaymentIntentIds: []string{pi}, ChargeIds: []string{ch.ID}})
			if err != nil {
				return nil, err
			}
			if n == 0 {
				amount := ch.Amount
				rep.Differences = append(rep.Differences, Difference{Kind: MissingInLedger, StripeChargeID: ch.ID, StripePaymentIntentID: pi, StripePence: &amount,
					Detail: fmt.Sprintf("Stripe charge %s for %d pence is not in the ledger", ch.ID, ch.Amount)})
			}
			continue // recorded in the ledger on a day either side of the period
		}
		matched[i] = true
		d := ledger[i]
		pi = firstNonEmpty(pi, store.Text(d.StripePaymentIntentID))
		if d.AmountPence != ch.Amount {
			l, st := d.AmountPence, ch.Amount
			rep.Differences = append(rep.Differences, Difference{Kind: AmountMismatch, DonationID: d.ID.String(), StripeChargeID: ch.ID, StripePaymentIntentID: pi,
				LedgerPence: &l, StripePence: &st, Detail: fmt.Sprintf("the ledger has %d pence, Stripe %d pence", l, st)})
		}
		if d.RefundedPence != ch.AmountRefunded {
			l, st := d.RefundedPence, ch.AmountRefunded
			rep.Differences = append(rep.Differences, Difference{Kind: RefundMismatch, DonationID: d.ID.String(), StripeChargeID: ch.ID, StripePaymentIntentID: pi,
				LedgerPence: &l, StripePence: &st, Detail: fmt.Sprintf("the ledger has %d pence refunded, Stripe %d pence", l, st)})
		}
	}
	for i, d := range ledger {
		if matched[i] {
			continue
		}
		if s.succeededInStripe(ctx, sc, d.StripePaymentIntentID, d.AmountPence) {
			continue // Stripe created the charge just outside the period
		}
		amount := d.AmountPence
		rep.Differences = append(rep.Differences, Difference{Kind: MissingInStripe, DonationID: d.ID.String(), StripeChargeID: store.Text(d.StripeChargeID),
			StripePaymentIntentID: store.Text(d.StripePaymentIntentID), LedgerPence: &amount,
			Detail: fmt.Sprintf("the ledger's gift %s for %d pence has no succeeded Stripe payment", d.ID, amount)})
	}
	if err := s.storeReport(ctx, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// succeededInStripe asks Stripe directly about a payment intent.
func (s *Service) succeededInStripe(ctx context.Context, sc *stripe.Client, paymentIntent *string, amount int64) bool {
	if paymentIntent == nil {
		return false
	}
	pi, err := sc.V1PaymentIntents.Retrieve(ctx, *paymentIntent, nil)
	return err == nil && pi.ID == *paymentIntent && pi.Status == stripe.PaymentIntentStatusSucceeded && pi.AmountReceived == amount
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
			LedgerTotalPence: rep.LedgerTotal, Differences: diffs, DifferenceCount: int32(len(rep.Differences))})
		if err != nil {
			return err
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
		return err
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
		return nil, err
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
