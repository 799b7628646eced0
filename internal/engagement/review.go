package engagement

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// Review actions staff take on an opportunity.
const (
	ActionApprove        = "approve"
	ActionRequestChanges = "request-changes"
	ActionReject         = "reject"
	ActionPublish        = "publish"
	ActionClose          = "close"
)

// transitions lists, for each action, the statuses it may start from and
// the status it leads to.
var transitions = map[string]struct {
	from []string
	to   string
}{
	ActionApprove:        {[]string{StatusSubmitted, StatusChangesRequested}, StatusApproved},
	ActionRequestChanges: {[]string{StatusSubmitted, StatusApproved}, StatusChangesRequested},
	ActionReject:         {[]string{StatusSubmitted, StatusChangesRequested, StatusApproved}, StatusRejected},
	ActionPublish:        {[]string{StatusApproved}, StatusPublished},
	ActionClose:          {[]string{StatusPublished}, StatusClosed},
}

// Review applies a staff decision. Requesting changes and rejecting need
// a note for the organiser. Publishing starts the member alerts, in the
// same transaction, so they go out exactly when the publication commits.
func (s *Service) Review(ctx context.Context, id uuid.UUID, action, note string) (*Opportunity, error) {
	t, ok := transitions[action]
	if !ok {
		return nil, hpa.Invalid("body.action", "unknown action")
	}
	if (action == ActionRequestChanges || action == ActionReject) && note == "" {
		return nil, hpa.Invalid("body.note", "is required: tell the organiser what to change or why it was rejected")
	}
	var out *Opportunity
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := store.Q.OpportunityGetForUpdate(ctx, tx, id)
		if store.IsNotFound(err) {
			return errNotFound
		}
		if err != nil {
			return fmt.Errorf("review: %w", err)
		}
		if !contains(t.from, row.Status) {
			return hpa.Errorf(hpa.ECONFLICT, "cannot %s an opportunity that is %s", action, row.Status).WithReason(ReasonInvalidTransition)
		}
		if action == ActionPublish && row.ClosesAt != nil && !row.ClosesAt.After(s.now()) {
			return hpa.Errorf(hpa.ECONFLICT, "it closed already; change its dates first").WithReason(ReasonAlreadyClosed)
		}
		row, err = store.Q.OpportunitySetStatus(ctx, tx, store.OpportunitySetStatusParams{ID: id, Status: t.to, ReviewNote: store.NullText(note)})
		if err != nil {
			return fmt.Errorf("review: %w", err)
		}
		if action == ActionPublish {
			if err := s.startAlerts(ctx, tx, id); err != nil {
				return err
			}
		}
		out = fromRow(row)
		if err := s.tell(ctx, tx, row.OrganisationID, webhooks.Event{Type: webhooks.TypeOpportunityReviewed, Data: webhooks.OpportunityReviewed{
			OpportunityID: id.String(), Decision: decisions[action], Status: row.Status, Note: note, ReviewedAt: s.now().UTC()}}); err != nil {
			return err
		}
		// Audit actions are snake_case: "request-changes" is recorded as
		// opportunity.request_changes.
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity." + strings.ReplaceAll(action, "-", "_"), TargetType: "opportunity", TargetID: id.String()})
	})
	if err != nil {
		return nil, err
	}
	return out, s.book(ctx, s.db, out)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
