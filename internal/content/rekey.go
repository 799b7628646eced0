package content

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
)

// RekeyEnquiryEmailHashes gives every enquiry whose address can still be
// opened its hash under hasher's current key, after the hash key is
// rotated (hpa keys rehash), and returns how many it changed.
func RekeyEnquiryEmailHashes(ctx context.Context, db store.DBTX, ring *sealed.Ring, hasher *sealed.Hasher) (int, error) {
	n, err := sealed.RekeyEmails(ring, hasher, func(after uuid.UUID) ([]sealed.StoredEmailRow[uuid.UUID], error) {
		rows, err := store.Q.EnquiriesSealedEmails(ctx, db, store.EnquiriesSealedEmailsParams{After: after, Batch: sealed.RekeyBatch})
		out := make([]sealed.StoredEmailRow[uuid.UUID], len(rows))
		for i, r := range rows {
			out[i] = sealed.StoredEmailRow[uuid.UUID]{ID: r.ID, StoredEmail: sealed.StoredEmail{
				Context: enquiryContext(r.ID, "email"), Domain: sealed.EmailDomain, Sealed: r.EmailSealed, Hash: r.EmailHash}}
		}
		return out, err
	}, func(id uuid.UUID, hash []byte) error {
		return store.Q.EnquirySetEmailHash(ctx, db, store.EnquirySetEmailHashParams{ID: id, EmailHash: hash})
	})
	if err != nil {
		return n, fmt.Errorf("re-key enquiries' email hashes: %w", err)
	}
	return n, nil
}
