package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RehashReport is how many stored email hashes RehashEmails changed in
// each capability's rows.
type RehashReport struct {
	Members, Registrations, Enquiries, Donors int
}

// RehashEmails gives every stored email hash whose address can still be
// opened its hash under the current hash key (HPA_HASH_KEY), from the
// retired keys it replaced (HPA_HASH_KEYS_RETIRED), all in one transaction:
// `hpa keys rehash`, run while no instance is serving (docs/operations.md,
// "Rotating keys"). A hash that matches no key stops it and changes
// nothing; a second run changes nothing.
func RehashEmails(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool) (RehashReport, error) {
	var report RehashReport
	if len(cfg.RetiredHashKeys) == 0 {
		return report, errors.New("HPA_HASH_KEYS_RETIRED must list the hash key being replaced (HPA_HASH_KEY is the new one)")
	}
	ring, hasher, err := Sealing(cfg)
	if err != nil {
		return report, err
	}
	steps := []struct {
		count *int
		rekey func(context.Context, store.DBTX) (int, error)
	}{
		{&report.Members, func(ctx context.Context, db store.DBTX) (int, error) {
			return members.RekeyEmailHashes(ctx, db, ring, hasher)
		}},
		{&report.Registrations, func(ctx context.Context, db store.DBTX) (int, error) {
			return engagement.RekeyEmailHashes(ctx, db, ring, hasher)
		}},
		{&report.Enquiries, func(ctx context.Context, db store.DBTX) (int, error) {
			return content.RekeyEnquiryEmailHashes(ctx, db, ring, hasher)
		}},
		{&report.Donors, func(ctx context.Context, db store.DBTX) (int, error) {
			return donations.RekeyEmailHashes(ctx, db, ring, hasher)
		}},
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, step := range steps {
			n, err := step.rekey(ctx, tx)
			if err != nil {
				return err
			}
			*step.count = n
		}
		return nil
	})
	if err != nil {
		return RehashReport{}, fmt.Errorf("rehash: %w", err)
	}
	return report, nil
}
