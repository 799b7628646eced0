package giftaid

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// A claim's statuses. A claim is made a draft; the treasurer files it in
// Charities Online (submitted); HMRC accepts or rejects it. A draft or a
// submitted claim may be voided (never sent, or withdrawn). Rejected and
// void claims let their gifts go, to be claimed again; accepted is final
// (a later refund is paid back through a later claim's adjustment).
const (
	ClaimDraft     = "draft"
	ClaimSubmitted = "submitted"
	ClaimAccepted  = "accepted"
	ClaimRejected  = "rejected"
	ClaimVoid      = "void"
)

// Step is what the treasurer records about a claim: when it happened,
// HMRC's reference (submission) or a note (required when rejected or
// void), and who did it.
type Step struct {
	On            time.Time
	HMRCReference string
	Note          string
	By            *uuid.UUID
}

// Submit records that a draft claim was filed with HMRC.
func (s *Service) Submit(ctx context.Context, id uuid.UUID, step Step) (*Claim, error) {
	return s.transition(ctx, id, "submit", step, []string{ClaimDraft}, func(tx pgx.Tx, on *time.Time) (store.GiftAidClaim, error) {
		return store.Q.GiftAidClaimSubmit(ctx, tx, store.GiftAidClaimSubmitParams{ID: id, SubmittedOn: on, SubmittedBy: step.By,
			HmrcReference: store.NullText(step.HMRCReference)})
	})
}

// Accept records that HMRC accepted a submitted claim.
func (s *Service) Accept(ctx context.Context, id uuid.UUID, step Step) (*Claim, error) {
	return s.close(ctx, id, "accept", ClaimAccepted, step, []string{ClaimSubmitted})
}

// Reject records that HMRC rejected a submitted claim: its gifts and the
// adjustments it carried may be claimed again.
func (s *Service) Reject(ctx context.Context, id uuid.UUID, step Step) (*Claim, error) {
	return s.close(ctx, id, "reject", ClaimRejected, step, []string{ClaimSubmitted})
}

// Void withdraws a draft or submitted claim: its gifts and the adjustments
// it carried may be claimed again.
func (s *Service) Void(ctx context.Context, id uuid.UUID, step Step) (*Claim, error) {
	return s.close(ctx, id, "void", ClaimVoid, step, []string{ClaimDraft, ClaimSubmitted})
}

// Resubmit makes a rejected or void claim again: a new draft for its
// period, of whatever in it is claimable now (its gifts, once more, and
// any received since in the period), naming the claim it replaces.
func (s *Service) Resubmit(ctx context.Context, id uuid.UUID, by *uuid.UUID) (*Claim, Schedule, error) {
	var claim *Claim
	var sched Schedule
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		old, err := s.lockClaim(ctx, tx, id, "resubmit", []string{ClaimRejected, ClaimVoid})
		if err != nil {
			return err
		}
		// Gifts now out of time are simply not claimable any more.
		from := maxTime(old.PeriodFrom, s.settings.AccountingYearEnd.EarliestClaimable(s.today()))
		claim, sched, err = s.createTx(ctx, tx, from, old.PeriodTo, by, &id)
		return err
	})
	return claim, sched, err
}

// close ends a claim's life as status, letting its gifts go unless HMRC
// accepted it.
func (s *Service) close(ctx context.Context, id uuid.UUID, verb, status string, step Step, from []string) (*Claim, error) {
	if status != ClaimAccepted && step.Note == "" {
		return nil, hpa.Invalid("body.reason", "is required: say why, for whoever reads the claim's history")
	}
	return s.transition(ctx, id, verb, step, from, func(tx pgx.Tx, on *time.Time) (store.GiftAidClaim, error) {
		if status != ClaimAccepted {
			if err := s.release(ctx, tx, id); err != nil {
				return store.GiftAidClaim{}, err
			}
		}
		return store.Q.GiftAidClaimClose(ctx, tx, store.GiftAidClaimCloseParams{ID: id, Status: status, DecidedOn: on, DecidedBy: step.By,
			DecisionNote: store.NullText(step.Note)})
	})
}

// release lets a claim's gifts go. A gift whose Gift Aid a later live
// claim pays back cannot go (it would be claimed again and paid back):
// that claim must be voided first.
func (s *Service) release(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	later, err := store.Q.GiftAidClaimAdjustedElsewhere(ctx, tx, id)
	if err != nil {
		return err
	}
	if len(later) > 0 {
		return hpa.Errorf(hpa.ECONFLICT, "claim %s pays back Gift Aid on gifts of this claim; void it first", later[0]).WithReason("claim-adjusted-later")
	}
	released, err := store.Q.GiftAidClaimGiftsRelease(ctx, tx, id)
	if err != nil || len(released) == 0 {
		return err
	}
	_, err = store.Q.DonationGiftAidClaimClear(ctx, tx, store.DonationGiftAidClaimClearParams{DonationIds: released, ClaimID: id})
	return err
}

// transition moves a claim on from one of the statuses from, audit-logged
// as gift_aid.claim_<verb>.
//
// This is where a claim's money enters the books: when the ledger of
// money movements exists (an append-only ledger is planned), submitting a claim is
// where its "Gift Aid claimed" and "Gift Aid adjusted" entries belong, and
// rejecting or voiding a submitted claim where they are reversed.
func (s *Service) transition(ctx context.Context, id uuid.UUID, verb string, step Step, from []string,
	apply func(tx pgx.Tx, on *time.Time) (store.GiftAidClaim, error)) (*Claim, error) {
	on := step.On
	if on.IsZero() {
		on = s.today()
	}
	if on.After(s.today()) {
		return nil, hpa.Invalid("body.on", "must not be in the future")
	}
	var claim *Claim
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := s.lockClaim(ctx, tx, id, verb, from); err != nil {
			return err
		}
		row, err := apply(tx, &on)
		if err != nil {
			return err
		}
		claim = claimFrom(row)
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.claim_" + verb, TargetType: "gift_aid_claim", TargetID: id.String(),
			Details: map[string]any{"status": row.Status, "on": on.Format(time.DateOnly)}})
	})
	return claim, err
}

// lockClaim returns the claim, locked, if its status is one of from.
func (s *Service) lockClaim(ctx context.Context, tx pgx.Tx, id uuid.UUID, verb string, from []string) (store.GiftAidClaim, error) {
	row, err := store.Q.GiftAidClaimGetForUpdate(ctx, tx, id)
	if store.IsNotFound(err) {
		return row, hpa.Errorf(hpa.ENOTFOUND, "no Gift Aid claim has this ID")
	}
	if err != nil {
		return row, err
	}
	if !slices.Contains(from, row.Status) {
		return row, hpa.Errorf(hpa.ECONFLICT, "a %s claim cannot be %s; only a claim that is %s", row.Status, pastTense[verb], joinOr(from)).WithReason("claim-status")
	}
	return row, nil
}

var pastTense = map[string]string{"submit": "submitted", "accept": "accepted", "reject": "rejected", "void": "voided", "resubmit": "resubmitted"}

func joinOr(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return fmt.Sprintf("%s or %s", words[0], words[1])
}
