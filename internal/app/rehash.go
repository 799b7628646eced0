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
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		if report.Members, err = members.RekeyEmailHashes(ctx, tx, ring, hasher); err != nil {
			return err
		}
		if report.Registrations, err = engagement.RekeyEmailHashes(ctx, tx, ring, hasher); err != nil {
			return err
		}
		if report.Enquiries, err = content.RekeyEnquiryEmailHashes(ctx, tx, ring, hasher); err != nil {
			return err
		}
		report.Donors, err = donations.RekeyEmailHashes(ctx, tx, ring, hasher)
		return err
	})
	if err != nil {
		return RehashReport{}, fmt.Errorf("rehash: %w", err)
	}
	return report, nil
}
