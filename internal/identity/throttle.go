package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Failed sign-ins are throttled without ever locking an account: locking
// let anyone who knew a colleague's address lock them out. Instead, once
// an address has failed SlowAfter times in a row, every attempt for it is
// answered only after a bounded delay, whatever the password, and the
// account's owner is emailed once for the burst. The per-address limit
// in api/ caps how fast any one client guesses.

// failureKey is how failures for an email address are counted: a keyed
// hash, so the table never holds the addresses attackers type.
func (s *Service) failureKey(email string) []byte {
	return s.emails.Hash("staff-login", email)
}

// slowdown is how long an attempt for an address with failures failures
// in a row is held.
func (st Settings) slowdown(failures int) time.Duration {
	if failures < st.SlowAfter {
		return 0
	}
	d := st.SlowDelay
	for i := st.SlowAfter; i < failures && d < st.MaxSlowDelay; i++ {
		d *= 2
	}
	return min(d, st.MaxSlowDelay)
}

// waitUntil returns at t, or sooner if the client has gone.
func waitUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// recordFailure counts a failed sign-in for key and audits it. account is
// nil when no account has the address; when one does, the first failure
// of a burst to reach SlowAfter emails its owner.
func (s *Service) recordFailure(ctx context.Context, key []byte, account *store.Staff, reason string) error {
	now := s.now()
	return s.withTx(ctx, func(tx pgx.Tx) error {
		f, err := store.Q.LoginFailureRecord(ctx, tx, store.LoginFailureRecordParams{EmailHash: key, Now: now, Since: now.Add(-s.settings.FailureMemory)})
		if err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		event := audit.Event{Action: "auth.login_failed", Details: map[string]any{"reason": reason, "failures": f.Failures}}
		if account != nil {
			event.TargetType, event.TargetID = "staff", account.ID.String()
			if account.Active && !f.Notified && int(f.Failures) >= s.settings.SlowAfter && s.outbox != nil {
				if err := s.warnOwner(ctx, tx, key, account, f); err != nil {
					return err
				}
				event.Details["owner_warned"] = true
			}
		}
		return audit.Record(ctx, tx, event)
	})
}

// warnOwner emails an account's owner that its sign-in is being guessed.
// The row LoginFailureRecord updated stays locked until the transaction
// ends, so concurrent failures cannot send a second warning.
func (s *Service) warnOwner(ctx context.Context, tx pgx.Tx, key []byte, account *store.Staff, f store.LoginFailureRecordRow) error {
	if err := store.Q.LoginFailureMarkNotified(ctx, tx, store.LoginFailureMarkNotifiedParams{EmailHash: key, Now: s.now()}); err != nil {
		return fmt.Errorf("record sign-in warning: %w", err)
	}
	return s.outbox.Enqueue(ctx, tx, mail.Email{Template: "staff-failed-sign-ins", To: account.Email, Data: map[string]any{
		"Name": account.DisplayName, "Failures": f.Failures, "Since": f.FirstFailureAt.UTC().Format("15:04 MST on 2 January 2006"),
	}})
}

// PurgeLoginFailures forgets bursts of failed sign-ins that have ended,
// for the retention job.
func (s *Service) PurgeLoginFailures(ctx context.Context) (int64, error) {
	n, err := store.Q.LoginFailureDeleteBefore(ctx, s.db, s.now().Add(-s.settings.FailureMemory))
	if err != nil {
		return 0, fmt.Errorf("purge login failures: %w", err)
	}
	return n, nil
}
