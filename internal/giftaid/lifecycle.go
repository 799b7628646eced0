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
		row, err := store.Q.GiftAidClaimSubmit(ctx, tx, store.GiftAidClaimSubmitParams{ID: id, SubmittedOn: on, SubmittedBy: step.By,
			HmrcReference: store.NullText(step.HMRCReference)})
		if err != nil {
			return row, fmt.Errorf("submit claim %s: %w", id, err)
		}
		return row, s.bookClaim(ctx, tx, id, *on, step.By)
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
			// A filed claim's money is taken out of the books again (a
			// draft's never entered them).
			if _, err := store.Q.LedgerReverseClaim(ctx, tx, store.LedgerReverseClaimParams{ClaimID: id, OccurredAt: ledgerTime(*on),
				Source: stepSource(step.By)}); err != nil {
				return store.GiftAidClaim{}, fmt.Errorf("reverse claim %s in the ledger: %w", id, err)
			}
		}
		row, err := store.Q.GiftAidClaimClose(ctx, tx, store.GiftAidClaimCloseParams{ID: id, Status: status, DecidedOn: on, DecidedBy: step.By,
			DecisionNote: store.NullText(step.Note)})
		if err != nil {
			return row, fmt.Errorf("close claim %s as %s: %w", id, status, err)
		}
		return row, nil
	})
}

// release lets a claim's gifts go. A gift whose Gift Aid a later live
// claim pays back cannot go (it would be claimed again and paid back):
// that claim must be voided first.
func (s *Service) release(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	later, err := store.Q.GiftAidClaimAdjustedElsewhere(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("adjusted gift aid claim elsewhere: %w", err)
	}
	if len(later) > 0 {
		return hpa.Errorf(hpa.ECONFLICT, "claim %s pays back Gift Aid on gifts of this claim; void it first", later[0]).WithReason(ReasonClaimAdjustedLater)
	}
	released, err := store.Q.GiftAidClaimGiftsRelease(ctx, tx, id)
	if err != nil || len(released) == 0 {
		return err
	}
	_, err = store.Q.DonationGiftAidClaimClear(ctx, tx, store.DonationGiftAidClaimClearParams{DonationIds: released, ClaimID: id})
	return err
}

// bookClaim enters a filed claim's money in the ledger, dated the day it
// was filed: the Gift Aid claimed on each gift and that paid back on each
// adjustment.
func (s *Service) bookClaim(ctx context.Context, tx pgx.Tx, id uuid.UUID, on time.Time, by *uuid.UUID) error {
	rows, err := store.Q.GiftAidClaimMoney(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("read claim %s's money: %w", id, err)
	}
	p := store.LedgerInsertClaimParams{ClaimID: id, OccurredAt: ledgerTime(on), Source: stepSource(by)}
	for _, r := range rows {
		kind, amount := LedgerGiftAidClaimed, GiftAidValue(r.Pence)
		if r.Adjustment {
			kind, amount = LedgerGiftAidAdjusted, -r.Pence
		}
		if amount == 0 {
			continue
		}
		p.DonationIds, p.Kinds, p.Amounts = append(p.DonationIds, r.DonationID), append(p.Kinds, kind), append(p.Amounts, amount)
	}
	if len(p.DonationIds) == 0 {
		return nil
	}
	if _, err := store.Q.LedgerInsertClaim(ctx, tx, p); err != nil {
		return fmt.Errorf("book claim %s in the ledger: %w", id, err)
	}
	return nil
}

// The ledger's kinds of entry for Gift Aid (internal/donations lists
// them all).
const (
	LedgerGiftAidClaimed  = "gift_aid_claimed"
	LedgerGiftAidAdjusted = "gift_aid_adjusted"
)

// ledgerTime places a claim's step, made on a UK date, at midday that day.
func ledgerTime(on time.Time) time.Time {
	return time.Date(on.Year(), on.Month(), on.Day(), 12, 0, 0, 0, London)
}

// stepSource is the source of the ledger entries a step writes.
func stepSource(by *uuid.UUID) string {
	if by == nil {
		return "staff"
	}
	return "staff:" + by.String()
}

// transition moves a claim on from one of the statuses from, audit-logged
// as gift_aid.claim_<verb>. Submitting a claim enters its money in the
// ledger; rejecting or voiding a submitted one reverses it.
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
		return row, hpa.Errorf(hpa.ECONFLICT, "a %s claim cannot be %s; only a claim that is %s", row.Status, pastTense[verb], joinOr(from)).WithReason(ReasonClaimStatus)
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
