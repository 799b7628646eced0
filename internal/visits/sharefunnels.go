package visits

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// A shared link reads a saved funnel only when an admin listed it at the
// link's creation. A funnel's figures are aggregate (visitors per step),
// like a breakdown's, and its steps are page patterns and event names the
// site defines; evaluated through a link, it takes no filters.

// addShareFunnels lets share read the funnels ids, refusing an ID that
// is no saved funnel's.
func addShareFunnels(ctx context.Context, tx pgx.Tx, share uuid.UUID, ids []uuid.UUID) ([]SavedFunnel, error) {
	for i, id := range ids {
		n, err := store.Q.VisitShareFunnelAdd(ctx, tx, store.VisitShareFunnelAddParams{ShareID: share, FunnelID: id})
		if err != nil {
			return nil, fmt.Errorf("share funnel: %w", err)
		}
		if n == 0 {
			return nil, hpa.Invalid(fmt.Sprintf("body.funnels[%d]", i), "no saved funnel has this ID")
		}
	}
	shares := []Share{{ID: share}}
	err := withFunnels(ctx, tx, shares)
	return shares[0].Funnels, err
}

// withFunnels sets each link's Funnels.
func (s *Shares) withFunnels(ctx context.Context, shares []Share) error {
	return withFunnels(ctx, s.pool, shares)
}

func withFunnels(ctx context.Context, db store.DBTX, shares []Share) error {
	rows, err := store.Q.VisitShareFunnelList(ctx, db)
	if err != nil {
		return fmt.Errorf("list shared funnels: %w", err)
	}
	byShare := map[uuid.UUID][]SavedFunnel{}
	for _, r := range rows {
		f, err := savedFunnelOf(r.ID, r.Name, r.Steps, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return err
		}
		byShare[r.ShareID] = append(byShare[r.ShareID], f)
	}
	for i := range shares {
		shares[i].Funnels = byShare[shares[i].ID]
	}
	return nil
}

// AuthorizeFunnel checks that token (with session, for a link with a
// password) may read the saved funnel id. A funnel the link does not
// include, or that does not exist, is refused alike, so a link cannot
// find out which IDs other links read.
func (s *Shares) AuthorizeFunnel(ctx context.Context, token, session string, id uuid.UUID) (Share, error) {
	sh, err := s.unlocked(ctx, token, session)
	if err != nil {
		return Share{}, err
	}
	ok, err := store.Q.VisitShareFunnelIncluded(ctx, s.pool, store.VisitShareFunnelIncludedParams{ShareID: sh.ID, FunnelID: id})
	if err != nil {
		return Share{}, fmt.Errorf("check shared funnel: %w", err)
	}
	if !ok {
		return Share{}, hpa.Errorf(hpa.EFORBIDDEN, "this link does not share that funnel").WithReason("insufficient-permissions")
	}
	return sh, nil
}
