package members

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Eraser removes what another capability holds about a person who asked
// to be forgotten, within the erasure's transaction: memberID is their
// membership, email the address it had (any case or "+tag" of it finds
// the same person, see hpa.EmailKey).
type Eraser interface {
	ErasePerson(ctx context.Context, tx pgx.Tx, memberID uuid.UUID, email string) error
}

// EraseAlsoWith adds what every erasure must also reach: the capabilities
// that hold a person's data outside membership (registrations, enquiries,
// donor records, queued and sent email). They run in the erasure's
// transaction, so an erasure is all or nothing.
func (s *Service) EraseAlsoWith(erasers ...Eraser) {
	s.erasers = append(s.erasers, erasers...)
}

// Erase wipes a person's data on their request: the membership's profile
// fields, sealed email, special-category data, notes and tokens, and
// through the erasers everything other capabilities hold about them. What
// stays is an anonymous tombstone (the ID, status and dates), the keyed
// email hash so the address is never mailed again by mistake, and the
// consent history, which holds no personal data once the row is
// anonymous. Records the law makes HPA keep (a Gift Aid declaration and
// the gifts it covers, six years) are kept by their own capability.
func (s *Service) Erase(ctx context.Context, id uuid.UUID) error {
	return s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.MemberGetByIDForErasure(ctx, tx, id)
		if store.IsNotFound(err) {
			return errNoMember
		}
		if err != nil {
			return fmt.Errorf("erase member: %w", err)
		}
		email, err := s.ring.OpenString(row.EmailSealed, emailContext(id))
		if err != nil {
			return fmt.Errorf("erase member: %w", err)
		}
		// Organisations the person shared with are told first, while the
		// consent history still says which.
		if err := s.withdrawAllSharing(ctx, tx, id); err != nil {
			return fmt.Errorf("erase member: %w", err)
		}
		for _, step := range []func(context.Context, store.DBTX, uuid.UUID) error{
			store.Q.SensitiveDelete, store.Q.MemberNotesDelete, store.Q.MemberTokenDeleteForMember, store.Q.MemberErase,
		} {
			if err := step(ctx, tx, id); err != nil {
				return fmt.Errorf("erase member: %w", err)
			}
		}
		for _, e := range s.erasers {
			if err := e.ErasePerson(ctx, tx, id, email); err != nil {
				return fmt.Errorf("erase member: %w", err)
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "member.erase", TargetType: "member", TargetID: id.String()})
	})
}
