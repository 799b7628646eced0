package giftaid

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Covered returns which of the gifts a declaration covers (the one made
// with the gift or the donor's standing declaration on the day), not
// ruled out of Gift Aid: the gifts a receipt or statement says Gift Aid
// applies to, whether claimed yet or not.
func (s *Service) Covered(ctx context.Context, db store.DBTX, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	covered, err := store.Q.GiftAidCovered(ctx, db, ids)
	if err != nil {
		return nil, fmt.Errorf("Gift Aid coverage: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(covered))
	for _, id := range covered {
		out[id] = true
	}
	return out, nil
}

// CheckGiftDeclarationTx checks, inside the transaction recording a gift,
// that the declaration named for it can cover it: it is the donor's, and
// a single-gift declaration covers no other gift yet. The declaration row
// stays locked until tx ends, so two gifts cannot both take it. field
// locates the declaration in errors.
func (s *Service) CheckGiftDeclarationTx(ctx context.Context, tx pgx.Tx, declarationID uuid.UUID, donorID *uuid.UUID, field string) error {
	decl, err := store.Q.DeclarationGetForUpdate(ctx, tx, declarationID)
	if store.IsNotFound(err) || (err == nil && (decl.DonorID == nil || donorID == nil || *decl.DonorID != *donorID)) {
		return hpa.Invalid(field, "must be a declaration made by this gift's donor")
	}
	if err != nil {
		return err
	}
	if Scope(decl.Scope) != ScopeThisGift {
		return nil
	}
	n, err := store.Q.DeclarationGiftCount(ctx, tx, &declarationID)
	if err != nil {
		return fmt.Errorf("gift declaration count: %w", err)
	}
	if n > 0 {
		return hpa.Invalid(field, "this declaration is for a single gift and already covers one: record a new declaration for this gift").WithReason(ReasonDeclarationCoversOneGift)
	}
	return nil
}
