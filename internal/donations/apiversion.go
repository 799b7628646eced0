package donations

import (
	"context"
	"fmt"
	"strings"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/stripe/stripe-go/v82"
)

// APIVersion is the Stripe API version the event handlers are written
// for: the webhook endpoint must be pinned to it (docs/donations.md).
const APIVersion = stripe.APIVersion

// readableVersion reports whether an event sent in API version v has
// the shape the handlers read: the same release train as APIVersion
// ("basil" in "2025-08-27.basil"), within which Stripe changes nothing
// that breaks. A version before release trains ("2024-06-20") is older
// than any this code reads.
func readableVersion(v string) bool {
	_, train, ok := strings.Cut(v, ".")
	_, ours, _ := strings.Cut(APIVersion, ".")
	return ok && train == ours
}

// refuseUnreadable answers an event HPA acts on but cannot read: nothing
// is stored as applied, so Stripe delivers it again, and the treasurers
// (admins if there is none) are emailed at its first delivery. The
// answer is 503 stripe-api-version-unsupported.
func (s *Service) refuseUnreadable(ctx context.Context, ev *stripe.Event) error {
	s.logger.ErrorContext(ctx, "stripe event in an API version the handlers cannot read: refused for Stripe to retry; pin the webhook endpoint's version",
		"event", ev.ID, "type", string(ev.Type), "api_version", ev.APIVersion, "expected", APIVersion)
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		first, err := store.Q.StripeUnreadableEventRecord(ctx, tx, store.StripeUnreadableEventRecordParams{ID: ev.ID, Type: string(ev.Type), ApiVersion: ev.APIVersion})
		if err != nil || !first {
			return err
		}
		emails, err := store.Q.StaffTreasurerEmails(ctx, tx)
		if err != nil {
			return fmt.Errorf("emails staff treasurer: %w", err)
		}
		for _, to := range emails {
			if err := s.outbox.Enqueue(ctx, tx, mail.Email{Template: "stripe-event-unreadable", To: to, Data: map[string]any{
				"EventID": ev.ID, "Type": string(ev.Type), "Version": ev.APIVersion, "Expected": APIVersion,
			}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record unreadable stripe event %s: %w", ev.ID, err)
	}
	return hpa.Errorf(hpa.EUNAVAILABLE, "event %s is in Stripe API version %q; this server reads %q: pin the webhook endpoint to it, and Stripe's retry will be applied",
		ev.ID, ev.APIVersion, APIVersion).WithReason(ReasonStripeApiVersionUnsupported)
}
