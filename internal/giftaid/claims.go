package giftaid

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Claim is a batch of gifts claimed from HMRC together.
type Claim struct {
	ID           uuid.UUID
	Status       string
	PeriodFrom   time.Time
	PeriodTo     time.Time
	Donations    int
	TotalPence   int64
	GiftAidPence int64
	// AdjustmentPence is Gift Aid claimed before on gifts refunded since,
	// paid back through this claim (Charities Online's "adjustment").
	AdjustmentPence int64
	// SmallDonationsPence is what the claim takes under the Gift Aid Small
	// Donations Scheme, and SmallDonationsTopUpPence HMRC's top-up on it.
	SmallDonationsPence      int64
	SmallDonationsTopUpPence int64
	// AccountingYearEnd is the year end the claim was made under (MM-DD).
	AccountingYearEnd string
	HMRCReference     string
	SubmittedOn       *time.Time
	DecidedOn         *time.Time
	DecisionNote      string
	// ResubmissionOf is the rejected or void claim this one makes again.
	ResubmissionOf *uuid.UUID
	CreatedBy      *uuid.UUID
	RetainUntil    time.Time
	CreatedAt      time.Time
}

func claimFrom(r store.GiftAidClaim) *Claim {
	return &Claim{ID: r.ID, Status: r.Status, PeriodFrom: r.PeriodFrom, PeriodTo: r.PeriodTo, Donations: int(r.DonationCount), TotalPence: r.TotalPence,
		GiftAidPence: r.GiftAidPence, AdjustmentPence: r.AdjustmentPence, SmallDonationsPence: r.SmallDonationsPence,
		SmallDonationsTopUpPence: r.SmallDonationsTopUpPence, AccountingYearEnd: r.AccountingYearEnd, HMRCReference: store.Text(r.HmrcReference),
		SubmittedOn: r.SubmittedOn, DecidedOn: r.DecidedOn, DecisionNote: store.Text(r.DecisionNote), ResubmissionOf: r.ResubmissionOf,
		CreatedBy: r.CreatedBy, RetainUntil: r.RetainUntil, CreatedAt: r.CreatedAt}
}

// checkPeriod checks from..to; where locates the fields in errors
// ("query", "body").
func checkPeriod(from, to time.Time, where string) error {
	if from.IsZero() || to.IsZero() {
		return hpa.Invalid(where+".from", "from and to are required dates (YYYY-MM-DD)")
	}
	if to.Before(from) {
		return hpa.Invalid(where+".to", "must not be before from")
	}
	return nil
}

// checkTimeLimit refuses a period starting before the first date HMRC
// still takes gifts from: four years after the end of an accounting
// period, its gifts can no longer be claimed.
func (s *Service) checkTimeLimit(from time.Time, where string) error {
	earliest := s.settings.AccountingYearEnd.EarliestClaimable(s.today())
	if from.Before(earliest) {
		return hpa.Invalid(where+".from", fmt.Sprintf("gifts received before %s can no longer be claimed: HMRC takes claims up to four years after the end of the accounting period (ending %s) a gift was received in",
			earliest.Format(time.DateOnly), s.settings.AccountingYearEnd)).WithReason(ReasonGiftAidTimeLimit)
	}
	return nil
}

// Preview lays out what a claim for gifts received from..to (UK dates,
// inclusive) would hold now, without claiming anything.
func (s *Service) Preview(ctx context.Context, from, to time.Time) (Schedule, error) {
	if err := checkPeriod(from, to, "query"); err != nil {
		return Schedule{}, err
	}
	if err := s.checkTimeLimit(from, "query"); err != nil {
		return Schedule{}, err
	}
	sched, _, err := s.prepare(ctx, s.db, from, to)
	if err != nil {
		return Schedule{}, err
	}
	err = audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.claim_preview", TargetType: "gift_aid_claim",
		Details: map[string]any{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "donations": sched.Donations}})
	return sched, err
}

// prepare lays out a claim for from..to as it would be made now: the
// eligible gifts, the small donations within the scheme's limits and the
// adjustments due.
func (s *Service) prepare(ctx context.Context, db store.DBTX, from, to time.Time) (Schedule, []Gift, error) {
	gifts, err := s.eligible(ctx, db, from, to)
	if err != nil {
		return Schedule{}, nil, err
	}
	sched := BuildSchedule(gifts, s.settings.AggregateMaxPence, s.settings.AccountingYearEnd)
	sched.EarliestClaimable = s.settings.AccountingYearEnd.EarliestClaimable(s.today())
	if sched.SmallDonations, err = s.smallDonations(ctx, db, from, to, gifts); err != nil {
		return Schedule{}, nil, err
	}
	sched.totalSmallDonations()
	if sched.Adjustments, err = s.adjustmentsDue(ctx, db); err != nil {
		return Schedule{}, nil, err
	}
	sched.AdjustmentPence = sumGiftAid(sched.Adjustments)
	return sched, gifts, nil
}

// CreateClaim makes a draft claim of every eligible gift from..to and the
// small donations the scheme's limits allow, and carries every adjustment
// due. Each gift is put in this claim in one transaction (claims are made
// one at a time, and the database refuses a gift in two live claims), so
// none is claimed twice. It returns the claim and its schedule.
func (s *Service) CreateClaim(ctx context.Context, from, to time.Time, by *uuid.UUID) (*Claim, Schedule, error) {
	if err := checkPeriod(from, to, "body"); err != nil {
		return nil, Schedule{}, err
	}
	if err := s.checkTimeLimit(from, "body"); err != nil {
		return nil, Schedule{}, err
	}
	var claim *Claim
	var sched Schedule
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		claim, sched, err = s.createTx(ctx, tx, from, to, by, nil)
		return err
	})
	return claim, sched, err
}

// createTx makes a draft claim inside tx; resubmissionOf names the claim
// it makes again, if any.
func (s *Service) createTx(ctx context.Context, tx pgx.Tx, from, to time.Time, by, resubmissionOf *uuid.UUID) (*Claim, Schedule, error) {
	if err := store.Q.GiftAidLock(ctx, tx); err != nil {
		return nil, Schedule{}, err
	}
	sched, gifts, err := s.prepare(ctx, tx, from, to)
	if err != nil {
		return nil, Schedule{}, err
	}
	if len(gifts) == 0 && len(sched.SmallDonations) == 0 {
		return nil, Schedule{}, hpa.Errorf(hpa.ECONFLICT, "no unclaimed Gift Aid gifts were received in this period").WithReason(ReasonNothingToClaim)
	}
	now := s.now()
	row, err := store.Q.GiftAidClaimInsert(ctx, tx, store.GiftAidClaimInsertParams{ID: uuid.New(), PeriodFrom: from, PeriodTo: to,
		DonationCount: int32(sched.Donations), TotalPence: sched.TotalPence, GiftAidPence: sched.GiftAidPence, AdjustmentPence: sched.AdjustmentPence,
		SmallDonationsPence: sched.SmallDonationsPence, SmallDonationsTopUpPence: sched.SmallDonationsTopUpPence,
		AggregateLimitPence: s.settings.AggregateMaxPence, AccountingYearEnd: s.settings.AccountingYearEnd.String(),
		ResubmissionOf: resubmissionOf, CreatedBy: by, RetainUntil: retainFrom(now)})
	if err != nil {
		return nil, Schedule{}, fmt.Errorf("insert gift aid claim: %w", err)
	}
	if err := recordAdjustments(ctx, tx, row.ID, sched.Adjustments); err != nil {
		return nil, Schedule{}, err
	}
	p := store.DonationGiftAidClaimSetParams{ClaimID: row.ID}
	declarations := make([]uuid.UUID, 0, len(gifts))
	for _, g := range gifts {
		p.DonationIds, p.DeclarationIds, p.ClaimedPence = append(p.DonationIds, g.DonationID), append(p.DeclarationIds, g.DeclarationID), append(p.ClaimedPence, g.AmountPence)
		declarations = append(declarations, g.DeclarationID)
	}
	for _, y := range sched.SmallDonations {
		for i, id := range y.DonationIDs {
			// uuid.Nil: a small donation rests on no declaration.
			p.DonationIds, p.DeclarationIds, p.ClaimedPence = append(p.DonationIds, id), append(p.DeclarationIds, uuid.Nil), append(p.ClaimedPence, y.amounts[i])
		}
	}
	// The ledger marks the gifts (a gift another claim took meanwhile is
	// not taken again), then the claim records them.
	taken, err := store.Q.DonationGiftAidClaimSet(ctx, tx, p)
	if err == nil && len(taken) == len(p.DonationIds) {
		_, err = store.Q.GiftAidClaimGiftsInsert(ctx, tx, store.GiftAidClaimGiftsInsertParams(p))
	}
	if store.IsUniqueViolation(err, "gift_aid_claim_gifts_once") || (err == nil && len(taken) != len(p.DonationIds)) {
		return nil, Schedule{}, hpa.Errorf(hpa.ECONFLICT, "some gifts were claimed by another claim meanwhile; try again").WithReason(ReasonClaimRace)
	}
	if err != nil {
		return nil, Schedule{}, err
	}
	if err := store.Q.DeclarationRetainUntil(ctx, tx, store.DeclarationRetainUntilParams{Ids: declarations, RetainUntil: retainFrom(now)}); err != nil {
		return nil, Schedule{}, err
	}
	details := map[string]any{"donations": sched.Donations, "total_pence": sched.TotalPence, "adjustment_pence": sched.AdjustmentPence,
		"small_donations_pence": sched.SmallDonationsPence}
	if resubmissionOf != nil {
		details["resubmission_of"] = resubmissionOf.String()
	}
	err = audit.Record(ctx, tx, audit.Event{Action: "gift_aid.claim_create", TargetType: "gift_aid_claim", TargetID: row.ID.String(), Details: details})
	return claimFrom(row), sched, err
}

// GetClaim returns a claim and its schedule as made (amounts claimed on,
// whatever was refunded since, the small donations and the adjustments it
// carried; kept as filed when the claim is rejected or void),
// audit-logged (the schedule holds donors' names and addresses).
func (s *Service) GetClaim(ctx context.Context, id uuid.UUID) (*Claim, Schedule, error) {
	row, err := store.Q.GiftAidClaimGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, Schedule{}, hpa.Errorf(hpa.ENOTFOUND, "no Gift Aid claim has this ID")
	}
	if err != nil {
		return nil, Schedule{}, err
	}
	rows, err := store.Q.GiftAidClaimedDonations(ctx, s.db, id)
	if err != nil {
		return nil, Schedule{}, fmt.Errorf("claimed gift aid donations: %w", err)
	}
	gifts := make([]Gift, 0, len(rows))
	for _, r := range rows {
		g, err := s.gift(r.ID, r.DonorID, r.ClaimedPence, r.PaidOn, r.DeclarationID, r.PersonalSealed)
		if err != nil {
			return nil, Schedule{}, err
		}
		gifts = append(gifts, g)
	}
	small, err := store.Q.GiftAidClaimedSmallDonations(ctx, s.db, id)
	if err != nil {
		return nil, Schedule{}, fmt.Errorf("claimed gift aid small donations: %w", err)
	}
	adjustments, err := store.Q.GiftAidClaimAdjustments(ctx, s.db, id)
	if err != nil {
		return nil, Schedule{}, fmt.Errorf("gift aid claim adjustments: %w", err)
	}
	yearEnd, err := parseYearEnd(row.AccountingYearEnd)
	if err != nil {
		return nil, Schedule{}, err
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.claim_export", TargetType: "gift_aid_claim", TargetID: id.String()}); err != nil {
		return nil, Schedule{}, err
	}
	sched := BuildSchedule(gifts, row.AggregateLimitPence, yearEnd)
	for _, r := range small {
		sched.SmallDonations = addSmallDonation(sched.SmallDonations, r.ID, r.ClaimedPence, r.PaidOn)
	}
	sched.totalSmallDonations()
	for _, a := range adjustments {
		sched.Adjustments = append(sched.Adjustments, Adjustment{DonationID: a.DonationID, ClaimedIn: a.ClaimedIn, PaidAt: a.PaidAt,
			OverclaimedPence: a.OverclaimedPence, GiftAidPence: a.GiftAidPence})
	}
	sched.AdjustmentPence = row.AdjustmentPence
	return claimFrom(row), sched, nil
}

// ListClaims returns claims newest first.
func (s *Service) ListClaims(ctx context.Context, limit int) ([]*Claim, error) {
	rows, err := store.Q.GiftAidClaimList(ctx, s.db, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("list gift aid claim: %w", err)
	}
	out := make([]*Claim, len(rows))
	for i, r := range rows {
		out[i] = claimFrom(r)
	}
	return out, nil
}

func (s *Service) eligible(ctx context.Context, db store.DBTX, from, to time.Time) ([]Gift, error) {
	rows, err := store.Q.GiftAidEligible(ctx, db, store.GiftAidEligibleParams{FromDate: from, ToDate: to, OralSettledBy: oralSettledBy(s.today())})
	if err != nil {
		return nil, fmt.Errorf("eligible gift aid: %w", err)
	}
	gifts := make([]Gift, 0, len(rows))
	for _, r := range rows {
		g, err := s.gift(r.ID, r.DonorID, r.AmountPence-r.RefundedPence, r.PaidOn, r.DeclarationID, r.PersonalSealed)
		if err != nil {
			return nil, err
		}
		gifts = append(gifts, g)
	}
	return gifts, nil
}

func (s *Service) gift(id uuid.UUID, donor *uuid.UUID, net int64, on time.Time, declaration uuid.UUID, box []byte) (Gift, error) {
	p, err := s.openPerson(declaration, box)
	if err != nil {
		return Gift{}, err
	}
	return Gift{DonationID: id, DonorID: donor, DeclarationID: declaration, Person: p, AmountPence: net, Date: on}, nil
}
