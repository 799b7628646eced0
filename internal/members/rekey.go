package members

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// everKnown reports whether the address has a membership or ever had one
// it asked to erase, under the hash key of any time.
func (s *Service) everKnown(ctx context.Context, tx pgx.Tx, dedupe string) (bool, error) {
	for _, hash := range s.hasher.HashUnderEveryKey(sealed.EmailDomain, dedupe) {
		known, err := store.Q.MemberEmailHashKnown(ctx, tx, hash)
		if err != nil {
			return false, fmt.Errorf("look up an address: %w", err)
		}
		if known {
			return true, nil
		}
	}
	return false, nil
}

// RekeyEmailHashes gives every membership whose address can still be
// opened its hash under hasher's current key, after the hash key is
// rotated (hpa keys rehash), and returns how many it changed. An erased
// member's tombstone keeps the hash it has: everKnown finds it under any
// key.
func RekeyEmailHashes(ctx context.Context, db store.DBTX, ring *sealed.Ring, hasher *sealed.Hasher) (int, error) {
	n, err := sealed.RekeyEmails(ring, hasher, func(after uuid.UUID) ([]sealed.StoredEmailRow[uuid.UUID], error) {
		rows, err := store.Q.MembersSealedEmails(ctx, db, store.MembersSealedEmailsParams{After: after, Batch: sealed.RekeyBatch})
		out := make([]sealed.StoredEmailRow[uuid.UUID], len(rows))
		for i, r := range rows {
			out[i] = sealed.StoredEmailRow[uuid.UUID]{ID: r.ID, StoredEmail: sealed.StoredEmail{
				Context: emailContext(r.ID), Domain: sealed.EmailDomain, Sealed: r.EmailSealed, Hash: r.EmailHash}}
		}
		return out, err
	}, func(id uuid.UUID, hash []byte) error {
		return store.Q.MemberSetEmailHash(ctx, db, store.MemberSetEmailHashParams{ID: id, EmailHash: hash})
	})
	if err != nil {
		return n, fmt.Errorf("re-key members' email hashes: %w", err)
	}
	return n, nil
}
