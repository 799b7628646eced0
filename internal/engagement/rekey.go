package engagement

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
)

// RekeyEmailHashes gives every registration whose address can still be
// opened its hash under hasher's current key, after the hash key is
// rotated (hpa keys rehash), and returns how many it changed.
func RekeyEmailHashes(ctx context.Context, db store.DBTX, ring *sealed.Ring, hasher *sealed.Hasher) (int, error) {
	n, err := sealed.RekeyEmails(ring, hasher, func(after uuid.UUID) ([]sealed.StoredEmailRow[uuid.UUID], error) {
		rows, err := store.Q.RegistrationsSealedEmails(ctx, db, store.RegistrationsSealedEmailsParams{After: after, Batch: sealed.RekeyBatch})
		out := make([]sealed.StoredEmailRow[uuid.UUID], len(rows))
		for i, r := range rows {
			out[i] = sealed.StoredEmailRow[uuid.UUID]{ID: r.ID, StoredEmail: sealed.StoredEmail{Context: emailContext(r.ID),
				Domain: registrationEmailDomain, Prefix: r.OpportunityID.String() + "|", Sealed: r.EmailSealed, Hash: r.EmailHash}}
		}
		return out, err
	}, func(id uuid.UUID, hash []byte) error {
		return store.Q.RegistrationSetEmailHash(ctx, db, store.RegistrationSetEmailHashParams{ID: id, EmailHash: hash})
	})
	if err != nil {
		return n, fmt.Errorf("re-key registrations' email hashes: %w", err)
	}
	return n, nil
}
