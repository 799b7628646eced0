package giftaid

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// MemberDeclarations returns a member's own declarations, newest first:
// those made while signed in and those of donor records linked to them.
// Reading one's own is audit-logged like staff reads.
func (s *Service) MemberDeclarations(ctx context.Context, memberID uuid.UUID) ([]*Declaration, error) {
	rows, err := store.Q.DeclarationListByMember(ctx, s.db, &memberID)
	if err != nil {
		return nil, fmt.Errorf("list declaration by member: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.declaration_list", TargetType: "gift_aid_declaration",
		Details: map[string]any{"count": len(rows), "own": true}}); err != nil {
		return nil, err
	}
	return s.openAll(rows)
}

// CancelForMember cancels one of the member's own declarations, as HMRC
// lets a donor do at any time. Someone else's declaration is not found.
func (s *Service) CancelForMember(ctx context.Context, memberID, id uuid.UUID) (*Declaration, error) {
	owned, err := store.Q.DeclarationOwnedByMember(ctx, s.db, store.DeclarationOwnedByMemberParams{ID: id, MemberID: &memberID})
	if err != nil {
		return nil, fmt.Errorf("owned declaration by member: %w", err)
	}
	if !owned {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "you have no Gift Aid declaration with this ID")
	}
	return s.Cancel(ctx, id)
}
