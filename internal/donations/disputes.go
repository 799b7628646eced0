package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
)

// onDispute applies any event of a dispute's life (created, updated,
// funds withdrawn or reinstated, closed) from the dispute it carries:
// Stripe's status and the fees its balance transactions cost. An inquiry
// or dispute that is open, or lost, keeps the gift out of totals and Gift
// Aid (a lost one on a claimed gift becomes an adjustment the next claim
// pays back); one won, or an inquiry closed, puts it back. Events applied
// out of order never undo a newer state.
func (s *Service) onDispute(ctx context.Context, ev *stripe.Event) (effect, error) {
	var dispute stripe.Dispute
	if err := decode(ev, &dispute); err != nil {
		return nil, err
	}
	pi, charge := idOf(dispute.PaymentIntent), idOf(dispute.Charge)
	var fee int64
	for _, bt := range dispute.BalanceTransactions {
		if bt != nil {
			fee += bt.Fee
		}
	}
	status, at := string(dispute.Status), time.Unix(ev.Created, 0)
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		d, err := store.Q.DonationFindByStripe(ctx, tx, store.DonationFindByStripeParams{PaymentIntentID: store.NullText(pi), ChargeID: store.NullText(charge)})
		if store.IsNotFound(err) {
			return firstNonEmpty(pi, charge), nil
		}
		if err != nil {
			return "", err
		}
		// Money moves whatever the order of events: every event repeats
		// the dispute's balance transactions, each written once.
		for _, e := range disputeEntries(d.ID, &dispute, ev.ID, at) {
			if err := writeEntry(ctx, tx, e); err != nil {
				return "", err
			}
		}
		n, err := store.Q.DonationApplyDispute(ctx, tx, store.DonationApplyDisputeParams{ID: d.ID, DisputeStatus: &status, DisputeFeePence: max(fee, 0), EventAt: &at})
		if err != nil {
			return "", fmt.Errorf("apply dispute %s to %s: %w", dispute.ID, d.ID, err)
		}
		if n == 0 {
			return "", nil
		}
		return "", audit.RecordAs(ctx, tx, systemActor, audit.Event{Action: "donation.dispute", TargetType: "donation", TargetID: d.ID.String(),
			Details: map[string]any{"dispute_status": status, "dispute_fee_pence": fee, "event": string(ev.Type)}})
	}, nil
}

// onRefundUpdated takes back a refund that failed or was cancelled: the
// money stayed with HPA, so it no longer counts against the gift.
func (s *Service) onRefundUpdated(ctx context.Context, ev *stripe.Event) (effect, error) {
	var r stripe.Refund
	if err := decode(ev, &r); err != nil {
		return nil, err
	}
	if r.Status != stripe.RefundStatusFailed && r.Status != stripe.RefundStatusCanceled {
		return noEffect, nil
	}
	pi, charge, status := idOf(r.PaymentIntent), idOf(r.Charge), string(r.Status)
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		d, err := store.Q.DonationFindByStripe(ctx, tx, store.DonationFindByStripeParams{PaymentIntentID: store.NullText(pi), ChargeID: store.NullText(charge)})
		if store.IsNotFound(err) {
			return firstNonEmpty(pi, charge), nil
		}
		if err != nil {
			return "", err
		}
		amount := r.Amount
		row, err := store.Q.RefundMarkFailed(ctx, tx, store.RefundMarkFailedParams{StripeRefundID: &r.ID, Status: status})
		switch {
		case err == nil:
			amount = row.AmountPence
		case store.IsNotFound(err):
			// Made in Stripe's dashboard, or already taken back.
			n, err := store.Q.RefundInsertFailed(ctx, tx, store.RefundInsertFailedParams{DonationID: d.ID, StripeRefundID: &r.ID, AmountPence: r.Amount, Status: status})
			if err != nil || n == 0 {
				return "", err // n == 0: its failure was applied already
			}
		default:
			return "", err
		}
		updated, err := store.Q.DonationRefundReversed(ctx, tx, store.DonationRefundReversedParams{ID: d.ID, AmountPence: amount})
		if err != nil {
			return "", fmt.Errorf("take back refund %s of %s: %w", r.ID, d.ID, err)
		}
		if err := writeEntry(ctx, tx, entry{kind: EntryRefundReversed, amount: d.RefundedPence - updated.RefundedPence, donation: d.ID,
			at: time.Unix(ev.Created, 0), source: ev.ID, key: "refund-failed:" + r.ID}); err != nil {
			return "", err
		}
		return "", audit.RecordAs(ctx, tx, systemActor, audit.Event{Action: "donation.refund_failed", TargetType: "donation", TargetID: d.ID.String(),
			Details: map[string]any{"stripe_refund_id": r.ID, "amount_pence": amount, "refunded_pence": updated.RefundedPence, "refund_status": status}})
	}, nil
}
