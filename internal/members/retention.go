package members

import (
	"context"
	"fmt"

	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// PurgeUnconfirmed deletes signups never confirmed within PendingTTL,
// with everything attached to them (their consent never took effect), and
// queued signups whose job gave up. Only pending members go: never an
// erased member's tombstone or its consent history.
func (s *Service) PurgeUnconfirmed(ctx context.Context) (int64, error) {
	var n int64
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		cutoff := s.now().Add(-s.settings.PendingTTL)
		requests, err := store.Q.MemberSignupRequestPurge(ctx, tx, cutoff)
		if err != nil {
			return fmt.Errorf("purge signup requests: %w", err)
		}
		n += requests
		ids, err := store.Q.MemberPurgePending(ctx, tx, cutoff)
		if err != nil {
			return fmt.Errorf("purge unconfirmed members: %w", err)
		}
		if _, err := tx.Exec(ctx, "SET LOCAL hpa.purging_unconfirmed = 'on'"); err != nil {
			return fmt.Errorf("mark the purge: %w", err)
		}
		for _, id := range ids {
			if err := store.Q.ConsentDeleteForPurge(ctx, tx, id); err != nil {
				return fmt.Errorf("delete the consents of %s: %w", id, err)
			}
			if err := store.Q.MemberDelete(ctx, tx, id); err != nil {
				return fmt.Errorf("delete member %s: %w", id, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge unconfirmed signups: %w", err)
	}
	return n, nil
}

// PurgeTokens deletes expired confirmation and sign-in tokens, and email
// throttle entries old enough not to matter.
func (s *Service) PurgeTokens(ctx context.Context) (int64, error) {
	n, err := store.Q.MemberTokenPurge(ctx, s.db, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge member tokens: %w", err)
	}
	m, err := store.Q.MemberThrottlePurge(ctx, s.db, s.now().Add(-s.settings.EmailInterval-magicLinkInterval))
	if err != nil {
		return 0, fmt.Errorf("purge email throttle: %w", err)
	}
	return n + m, nil
}
