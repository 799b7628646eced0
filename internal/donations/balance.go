package donations

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/stripe/stripe-go/v82"
)

// What an amount_mismatch compares (Difference.Measure).
const (
	MeasureGross    = "gross"    // the gift itself
	MeasureFee      = "fee"      // Stripe's fee on the gift
	MeasureDisputes = "disputes" // the funds and fees a dispute moved
	MeasurePayout   = "payout"   // a payout against the balance transactions it paid out
)

// movements is what moved for one Stripe charge in a period, in pence
// signed as the ledger signs them: from Stripe's balance transactions or
// from the ledger's entries.
type movements struct {
	gross, fee, refunds, disputes, disputeFees int64
	paymentIntent                              string
}

// balanceCharge is the charge a balance transaction moved money for, and
// whether it is one reconciliation follows (gifts, refunds, disputes).
func balanceCharge(bt *stripe.BalanceTransaction) (string, bool) {
	src := bt.Source
	if src == nil {
		return "", false
	}
	switch bt.Type {
	case stripe.BalanceTransactionTypeCharge, stripe.BalanceTransactionTypePayment:
		return src.ID, true
	case stripe.BalanceTransactionTypeRefund, stripe.BalanceTransactionTypePaymentRefund, stripe.BalanceTransactionTypeRefundFailure,
		stripe.BalanceTransactionTypePaymentFailureRefund:
		if src.Refund != nil && src.Refund.Charge != nil {
			return src.Refund.Charge.ID, true
		}
		return src.ID, true
	case stripe.BalanceTransactionTypeAdjustment:
		if src.Dispute != nil && src.Dispute.Charge != nil {
			return src.Dispute.Charge.ID, true
		}
		return src.ID, strings.HasPrefix(src.ID, "dp_") || strings.HasPrefix(src.ID, "du_")
	}
	return "", false
}

// add counts a balance transaction in the charge's movements.
func (m *movements) add(bt *stripe.BalanceTransaction) {
	switch bt.Type {
	case stripe.BalanceTransactionTypeCharge, stripe.BalanceTransactionTypePayment:
		m.gross += bt.Amount
		m.fee -= bt.Fee
		if bt.Source != nil && bt.Source.Charge != nil && bt.Source.Charge.PaymentIntent != nil {
			m.paymentIntent = bt.Source.Charge.PaymentIntent.ID
		}
	case stripe.BalanceTransactionTypeAdjustment:
		m.disputes += bt.Amount
		m.disputeFees -= bt.Fee
	default: // refunds and their failures
		m.refunds += bt.Amount
		m.fee -= bt.Fee
	}
}

// reconcileBalance compares Stripe's balance transactions created in
// [start, end) with the ledger's entries dated then, charge by charge
// (gross, fee, refunds, disputes and their fees), and checks each payout
// made then against the balance transactions it paid out.
func (s *Service) reconcileBalance(ctx context.Context, sc *stripe.Client, start, end time.Time, rep *Report) error {
	params := &stripe.BalanceTransactionListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: start.Unix(), LesserThan: end.Unix()}}
	params.Limit = stripe.Int64(100)
	params.AddExpand("data.source")
	stripeSide := map[string]*movements{}
	for bt, err := range sc.V1BalanceTransactions.List(ctx, params) {
		if err != nil {
			return s.stripeUnavailable(ctx, "list balance transactions", err)
		}
		created := time.Unix(bt.Created, 0)
		charge, ok := balanceCharge(bt)
		if !ok || created.Before(start) || !created.Before(end) {
			continue
		}
		if !strings.EqualFold(string(bt.Currency), "gbp") {
			rep.Differences = append(rep.Differences, Difference{Kind: CurrencyMismatch, StripeChargeID: charge,
				Detail: fmt.Sprintf("Stripe balance transaction %s for charge %s is in %s, not GBP", bt.ID, charge, strings.ToUpper(string(bt.Currency)))})
			continue
		}
		if bt.Type == stripe.BalanceTransactionTypeCharge || bt.Type == stripe.BalanceTransactionTypePayment {
			rep.StripeCount++
			rep.StripeTotalPence += bt.Amount
		}
		if stripeSide[charge] == nil {
			stripeSide[charge] = &movements{}
		}
		stripeSide[charge].add(bt)
		rep.BalanceCount++
		rep.BalanceNetPence += bt.Net
	}
	rows, err := store.Q.LedgerByStripeCharge(ctx, s.db, store.LedgerByStripeChargeParams{FromTime: start, ToTime: end})
	if err != nil {
		return fmt.Errorf("ledger by stripe charge: %w", err)
	}
	byIntent := map[string]string{}
	for charge, m := range stripeSide {
		if m.paymentIntent != "" {
			byIntent[m.paymentIntent] = charge
		}
	}
	seen := map[string]bool{}
	for _, r := range rows {
		l := movements{gross: r.GrossPence, fee: r.FeePence, refunds: r.RefundsPence, disputes: r.DisputesPence, disputeFees: r.DisputeFeesPence}
		rep.LedgerNetPence += l.gross + l.fee + l.refunds + l.disputes + l.disputeFees
		if l.gross != 0 {
			rep.LedgerCount++
			rep.LedgerTotal += l.gross
		}
		charge := store.Text(r.StripeChargeID)
		if _, ok := stripeSide[charge]; !ok || charge == "" {
			charge = byIntent[store.Text(r.StripePaymentIntentID)]
		}
		st := stripeSide[charge]
		if st == nil {
			net := l.gross + l.fee + l.refunds + l.disputes + l.disputeFees
			rep.Differences = append(rep.Differences, Difference{Kind: MissingInStripe, DonationID: r.ID.String(), StripeChargeID: store.Text(r.StripeChargeID),
				StripePaymentIntentID: store.Text(r.StripePaymentIntentID), LedgerPence: &net,
				Detail: fmt.Sprintf("the ledger moved %d pence for gift %s; Stripe's balance has no transaction for it in the period", net, r.ID)})
			continue
		}
		seen[charge] = true
		diff := func(kind, measure string, ledger, stripeAmount int64) {
			if ledger == stripeAmount {
				return
			}
			what := measure
			if what == "" {
				what = "refunds"
			}
			rep.Differences = append(rep.Differences, Difference{Kind: kind, Measure: measure, DonationID: r.ID.String(), StripeChargeID: charge,
				StripePaymentIntentID: firstNonEmpty(st.paymentIntent, store.Text(r.StripePaymentIntentID)), LedgerPence: &ledger, StripePence: &stripeAmount,
				Detail: fmt.Sprintf("%s: the ledger has %d pence, Stripe's balance %d pence", what, ledger, stripeAmount)})
		}
		diff(AmountMismatch, MeasureGross, l.gross, st.gross)
		diff(AmountMismatch, MeasureFee, l.fee, st.fee)
		diff(RefundMismatch, "", l.refunds, st.refunds)
		diff(AmountMismatch, MeasureDisputes, l.disputes+l.disputeFees, st.disputes+st.disputeFees)
	}
	charges := make([]string, 0, len(stripeSide))
	for charge := range stripeSide {
		charges = append(charges, charge)
	}
	sort.Strings(charges)
	for _, charge := range charges {
		if seen[charge] {
			continue
		}
		st := stripeSide[charge]
		net := st.gross + st.fee + st.refunds + st.disputes + st.disputeFees
		rep.Differences = append(rep.Differences, Difference{Kind: MissingInLedger, StripeChargeID: charge, StripePaymentIntentID: st.paymentIntent, StripePence: &net,
			Detail: fmt.Sprintf("Stripe's balance moved %d pence for charge %s; the ledger has no entry for it in the period", net, charge)})
	}
	return s.reconcilePayouts(ctx, sc, start, end, rep)
}

// reconcilePayouts checks that each payout created in [start, end) is
// the sum of the balance transactions it paid out: what reached the bank.
func (s *Service) reconcilePayouts(ctx context.Context, sc *stripe.Client, start, end time.Time, rep *Report) error {
	params := &stripe.PayoutListParams{CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: start.Unix(), LesserThan: end.Unix()}}
	params.Limit = stripe.Int64(100)
	for po, err := range sc.V1Payouts.List(ctx, params) {
		if err != nil {
			return s.stripeUnavailable(ctx, "list payouts", err)
		}
		created := time.Unix(po.Created, 0)
		if created.Before(start) || !created.Before(end) || po.Status == stripe.PayoutStatusFailed || po.Status == stripe.PayoutStatusCanceled {
			continue
		}
		if !strings.EqualFold(string(po.Currency), "gbp") {
			rep.Differences = append(rep.Differences, Difference{Kind: CurrencyMismatch, StripePayoutID: po.ID,
				Detail: fmt.Sprintf("Stripe payout %s is in %s, not GBP", po.ID, strings.ToUpper(string(po.Currency)))})
			continue
		}
		rep.PayoutCount++
		rep.PayoutTotalPence += po.Amount
		btParams := &stripe.BalanceTransactionListParams{Payout: stripe.String(po.ID)}
		btParams.Limit = stripe.Int64(100)
		var paid int64
		for bt, err := range sc.V1BalanceTransactions.List(ctx, btParams) {
			if err != nil {
				return s.stripeUnavailable(ctx, "list a payout's balance transactions", err)
			}
			if bt.Type != stripe.BalanceTransactionTypePayout {
				paid += bt.Net
			}
		}
		if paid != po.Amount {
			amount := po.Amount
			rep.Differences = append(rep.Differences, Difference{Kind: AmountMismatch, Measure: MeasurePayout, StripePayoutID: po.ID, StripePence: &amount,
				Detail: fmt.Sprintf("payout %s sent %d pence to the bank; the balance transactions it paid out come to %d pence", po.ID, po.Amount, paid)})
		}
	}
	return nil
}
