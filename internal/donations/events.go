package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
)

// systemActor attributes webhook effects in the audit log.
var systemActor = audit.Actor{Type: audit.ActorSystem}

// onCheckoutCompleted records a one-off gift once its session is paid
// (at once for cards; for Bacs Direct Debit when the async payment
// succeeds), or starts a monthly donor's subscription.
func (s *Service) onCheckoutCompleted(ctx context.Context, ev *stripe.Event) (effect, error) {
	var cs stripe.CheckoutSession
	if err := decode(ev, &cs); err != nil {
		return nil, err
	}
	checkoutID := parseMetaID(cs.Metadata[metaCheckout])
	donor := donorDetails{CustomerID: idOf(cs.Customer)}
	if cs.CustomerDetails != nil {
		donor.Email, donor.Name = cs.CustomerDetails.Email, cs.CustomerDetails.Name
	}
	if donor.Email == "" {
		donor.Email = cs.CustomerEmail
	}
	switch cs.Mode {
	case stripe.CheckoutSessionModeSubscription:
		if cs.Subscription == nil {
			return nil, nil
		}
		return func(ctx context.Context, tx pgx.Tx) (string, error) {
			who, err := s.donorFor(ctx, tx, donor, checkoutID)
			if err != nil {
				return "", err
			}
			donorID := who.donorID()
			c, err := s.claimCheckout(ctx, tx, checkoutID, donorID)
			if err != nil {
				return "", err
			}
			campaignID, err := s.campaignFor(ctx, tx, c, cs.Metadata[metaCampaign])
			if err != nil {
				return "", err
			}
			status := "incomplete"
			if cs.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid {
				status = "active"
			}
			_, err = store.Q.SubscriptionUpsert(ctx, tx, store.SubscriptionUpsertParams{StripeSubscriptionID: cs.Subscription.ID, DonorID: donorID,
				CheckoutID: c.id, CampaignID: campaignID, AmountPence: cs.AmountTotal, Status: status, LastEventAt: time.Unix(ev.Created, 0)})
			return "", err
		}, nil
	case stripe.CheckoutSessionModePayment:
		if cs.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || cs.PaymentIntent == nil {
			return noEffect, nil // Bacs Direct Debit: wait for async_payment_succeeded
		}
		p := payment{AmountPence: cs.AmountTotal, Currency: string(cs.Currency), PaymentIntentID: cs.PaymentIntent.ID, SessionID: cs.ID,
			Frequency: OneOff, PaidAt: time.Unix(ev.Created, 0), Donor: donor, CheckoutID: checkoutID, CampaignSlug: cs.Metadata[metaCampaign], Source: ev.ID}
		return func(ctx context.Context, tx pgx.Tx) (string, error) { return "", s.recordPayment(ctx, tx, p) }, nil
	}
	return nil, nil
}

// onCheckoutFailed closes a checkout whose Bacs Direct Debit failed and
// drops the donor's sealed Gift Aid details with it.
func (s *Service) onCheckoutFailed(ctx context.Context, ev *stripe.Event) (effect, error) {
	var cs stripe.CheckoutSession
	if err := decode(ev, &cs); err != nil {
		return nil, err
	}
	id := parseMetaID(cs.Metadata[metaCheckout])
	if id == nil {
		return nil, nil
	}
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		return "", store.Q.CheckoutFinish(ctx, tx, store.CheckoutFinishParams{ID: *id, Status: "failed"})
	}, nil
}

// onInvoicePaid records one monthly gift per paid subscription invoice.
func (s *Service) onInvoicePaid(ctx context.Context, ev *stripe.Event) (effect, error) {
	var inv stripe.Invoice
	if err := decode(ev, &inv); err != nil {
		return nil, err
	}
	if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil || inv.Parent.SubscriptionDetails.Subscription == nil || inv.AmountPaid <= 0 {
		return nil, nil // not a subscription payment: nothing to record
	}
	details := inv.Parent.SubscriptionDetails
	p := payment{AmountPence: inv.AmountPaid, Currency: string(inv.Currency), InvoiceID: inv.ID, Frequency: Monthly,
		PaidAt: time.Unix(ev.Created, 0), Donor: donorDetails{Email: inv.CustomerEmail, Name: inv.CustomerName, CustomerID: idOf(inv.Customer)},
		CheckoutID: parseMetaID(details.Metadata[metaCheckout]), CampaignSlug: details.Metadata[metaCampaign], Source: ev.ID}
	if inv.StatusTransitions != nil && inv.StatusTransitions.PaidAt > 0 {
		p.PaidAt = time.Unix(inv.StatusTransitions.PaidAt, 0)
	}
	p.PaymentIntentID = invoicePaymentIntent(&inv)
	if p.PaymentIntentID == "" && inv.Payments == nil {
		// invoice.paid does not include the invoice's payments (an
		// expandable field): ask Stripe. A lookup that fails fails the
		// delivery, for Stripe to retry: a gift stored without its payment
		// could not be refunded, would have no fee and would trouble
		// reconciliation.
		var err error
		if p.PaymentIntentID, err = s.invoicePayment(ctx, inv.ID); err != nil {
			return nil, err
		}
	}
	subscriptionID := details.Subscription.ID
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		sub, err := store.Q.SubscriptionGetByStripeID(ctx, tx, subscriptionID)
		if store.IsNotFound(err) {
			// The invoice came before the subscription's own events: start
			// the record now; any subscription event (newer than epoch) updates it.
			campaignID, cerr := s.campaignFor(ctx, tx, checkoutRef{}, p.CampaignSlug)
			if cerr != nil {
				return "", cerr
			}
			sub, err = store.Q.SubscriptionUpsert(ctx, tx, store.SubscriptionUpsertParams{StripeSubscriptionID: subscriptionID,
				CampaignID: campaignID, AmountPence: p.AmountPence, Status: "active", LastEventAt: time.Unix(0, 0)})
		}
		if err != nil {
			return "", err
		}
		p.SubscriptionID = &sub.ID
		return "", s.recordPayment(ctx, tx, p)
	}, nil
}

// invoicePayment asks Stripe for the payment intent that paid invoice id;
// "" when it was paid otherwise (out of band, from the customer's credit).
func (s *Service) invoicePayment(ctx context.Context, id string) (string, error) {
	sc, err := s.stripeClient()
	if err != nil {
		return "", err
	}
	params := &stripe.InvoiceRetrieveParams{}
	params.AddExpand("payments")
	fetched, err := sc.V1Invoices.Retrieve(ctx, id, params)
	if err == nil && fetched.ID != id {
		err = fmt.Errorf("stripe answered with invoice %q", fetched.ID)
	}
	if err != nil {
		return "", s.stripeUnavailable(ctx, "retrieve invoice payments", err)
	}
	return invoicePaymentIntent(fetched), nil
}

// invoicePaymentIntent is the payment intent of an invoice's paid payment.
func invoicePaymentIntent(inv *stripe.Invoice) string {
	if inv.Payments == nil {
		return ""
	}
	for _, ip := range inv.Payments.Data {
		if ip.Payment != nil && ip.Payment.PaymentIntent != nil && (ip.Status == "" || ip.Status == "paid") {
			return ip.Payment.PaymentIntent.ID
		}
	}
	return ""
}

// onInvoicePaymentFailed tells a monthly donor their gift did not go
// through, with a link to update their card.
func (s *Service) onInvoicePaymentFailed(ctx context.Context, ev *stripe.Event) (effect, error) {
	var inv stripe.Invoice
	if err := decode(ev, &inv); err != nil {
		return nil, err
	}
	if inv.Parent == nil || inv.Parent.SubscriptionDetails == nil {
		return nil, nil
	}
	customer := idOf(inv.Customer)
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		if customer == "" {
			return "", nil
		}
		donor, err := store.Q.DonorGetByStripeCustomer(ctx, tx, customer)
		if store.IsNotFound(err) || (err == nil && donor.EmailSealed == nil) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return "", s.sendPaymentFailed(ctx, tx, donor, customer, inv.AmountDue)
	}, nil
}

// onSubscriptionChanged keeps a monthly donor's subscription in step with
// Stripe: status, amount, renewal, cancellation. Older events never
// overwrite newer ones.
func (s *Service) onSubscriptionChanged(ctx context.Context, ev *stripe.Event) (effect, error) {
	var sub stripe.Subscription
	if err := decode(ev, &sub); err != nil {
		return nil, err
	}
	var amount int64
	var periodEnd *time.Time
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			if it.Price != nil {
				amount += it.Price.UnitAmount * max(it.Quantity, 1)
			}
			if it.CurrentPeriodEnd > 0 {
				t := time.Unix(it.CurrentPeriodEnd, 0)
				periodEnd = &t
			}
		}
	}
	var canceled *time.Time
	if sub.CanceledAt > 0 {
		t := time.Unix(sub.CanceledAt, 0)
		canceled = &t
	}
	donor := donorDetails{CustomerID: idOf(sub.Customer)}
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		var donorID *uuid.UUID
		if donor.CustomerID != "" {
			if d, err := store.Q.DonorGetByStripeCustomer(ctx, tx, donor.CustomerID); err == nil {
				donorID = &d.ID
			} else if !store.IsNotFound(err) {
				return "", err
			}
		}
		campaignID, err := s.campaignFor(ctx, tx, checkoutRef{}, sub.Metadata[metaCampaign])
		if err != nil {
			return "", err
		}
		_, err = store.Q.SubscriptionUpsert(ctx, tx, store.SubscriptionUpsertParams{StripeSubscriptionID: sub.ID, DonorID: donorID,
			CheckoutID: parseMetaID(sub.Metadata[metaCheckout]), CampaignID: campaignID, AmountPence: amount, Status: string(sub.Status),
			CancelAtPeriodEnd: sub.CancelAtPeriodEnd, CurrentPeriodEnd: periodEnd, CanceledAt: canceled, LastEventAt: time.Unix(ev.Created, 0)})
		return "", err
	}, nil
}

// onChargeRefunded brings the gift's refunded amount up to Stripe's
// cumulative figure. A refund for a payment not yet in the ledger waits.
func (s *Service) onChargeRefunded(ctx context.Context, ev *stripe.Event) (effect, error) {
	var ch stripe.Charge
	if err := decode(ev, &ch); err != nil {
		return nil, err
	}
	pi := idOf(ch.PaymentIntent)
	return func(ctx context.Context, tx pgx.Tx) (string, error) {
		d, err := store.Q.DonationFindByStripe(ctx, tx, store.DonationFindByStripeParams{PaymentIntentID: store.NullText(pi), ChargeID: store.NullText(ch.ID)})
		if store.IsNotFound(err) {
			return firstNonEmpty(pi, ch.ID), nil
		}
		if err != nil {
			return "", err
		}
		updated, err := store.Q.DonationSetStripeRefunded(ctx, tx, store.DonationSetStripeRefundedParams{ID: d.ID, RefundedPence: ch.AmountRefunded, ChargeID: store.NullText(ch.ID)})
		if err != nil {
			return "", fmt.Errorf("record stripe refund of %s: %w", d.ID, err)
		}
		// Stripe gives the cumulative figure: what it adds, under the
		// gift's lock, is a refund made outside HPA (one made here is
		// counted already), dated by the event.
		if err := writeEntry(ctx, tx, entry{kind: EntryRefund, amount: d.RefundedPence - updated.RefundedPence, donation: d.ID,
			at: time.Unix(ev.Created, 0), source: ev.ID, key: "refund:" + ev.ID}); err != nil {
			return "", err
		}
		return "", audit.RecordAs(ctx, tx, systemActor, audit.Event{Action: "donation.refunded", TargetType: "donation", TargetID: d.ID.String(),
			Details: map[string]any{"refunded_pence": updated.RefundedPence, "source": "stripe"}})
	}, nil
}

// noEffect acknowledges an event that needs nothing done now.
func noEffect(context.Context, pgx.Tx) (string, error) { return "", nil }
