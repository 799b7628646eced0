package members

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
)

// Generate adds count active, consenting members with the given interests
// (addresses member-<prefix>-<n>@example.org), for benchmarks and demos.
// It seals and hashes exactly as signup does and loads rows with COPY.
func (s *Service) Generate(ctx context.Context, prefix string, count int, interests []string, audiences []string) error {
	for _, i := range interests {
		if !contains(Interests, i) {
			return fmt.Errorf("unknown interest %q", i)
		}
	}
	now := s.now()
	const batch = 5000
	for start := 0; start < count; start += batch {
		n := min(batch, count-start)
		rows := make([]store.MemberCopyParams, n)
		var consents []store.ConsentCopyParams
		for i := range rows {
			id := uuid.New()
			email := fmt.Sprintf("member-%s-%d@example.org", prefix, start+i)
			rows[i] = store.MemberCopyParams{ID: id, EmailHash: s.emailHash(email), EmailSealed: s.ring.SealString(email, emailContext(id)),
				Name: ptr(fmt.Sprintf("Member %d", start+i)), Audiences: nonNil(audiences), Interests: nonNil(interests),
				Status: StatusActive, Source: SourceImport, ConfirmedAt: &now}
			var b consentBatch
			b.add(PurposeMembership, true)
			for _, interest := range interests {
				b.add(InterestPurpose(interest), true)
			}
			for j := range b.purposes {
				consents = append(consents, store.ConsentCopyParams{MemberID: id, Purpose: b.purposes[j], Granted: true,
					TextVersion: b.versions[j], TextHash: b.hashes[j], Source: SourceImport})
			}
		}
		if _, err := store.Q.MemberCopy(ctx, s.db, rows); err != nil {
			return fmt.Errorf("generate members: %w", err)
		}
		if _, err := store.Q.ConsentCopy(ctx, s.db, consents); err != nil {
			return fmt.Errorf("generate consents: %w", err)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
