package giftaid

import (
	"context"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

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
		return err
	}
	if n > 0 {
		return hpa.Invalid(field, "this declaration is for a single gift and already covers one: record a new declaration for this gift").WithReason("declaration-covers-one-gift")
	}
	return nil
}
