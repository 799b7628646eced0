package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// What a statement's year is: a calendar year, or a UK tax year (6 April
// to 5 April, named by the year it starts in), the year a donor's tax
// return asks about.
const (
	CalendarYear = "calendar_year"
	TaxYear      = "tax_year"
)

// StatementYear is the year a statement lists.
type StatementYear struct {
	Year  int
	Basis string
}

// span is the year's first and last UK dates, and what to call it.
func (y StatementYear) span() (first, last time.Time, name string) {
	if y.Basis == TaxYear {
		p := giftaid.TaxYearOf(time.Date(y.Year, time.April, 6, 0, 0, 0, 0, time.UTC))
		return p.First, p.Last, "the " + giftaid.TaxYearLabel(p) + " tax year"
	}
	return time.Date(y.Year, time.January, 1, 0, 0, 0, 0, time.UTC), time.Date(y.Year, time.December, 31, 0, 0, 0, 0, time.UTC), fmt.Sprint(y.Year)
}

// SendStatement emails a donor the statement of their gifts in a year,
// marking those Gift Aid applies to, audit-logged.
func (s *Service) SendStatement(ctx context.Context, donorID uuid.UUID, year StatementYear) error {
	if year.Year < 2000 || year.Year > s.now().In(London).Year() {
		return hpa.Invalid("body.year", "must be a year up to this one")
	}
	first, last, name := year.span()
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		donor, err := store.Q.DonorGet(ctx, tx, donorID)
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no donor has this ID")
		}
		if err != nil {
			return err
		}
		if donor.MergedInto != nil {
			return mergedNotFound(*donor.MergedInto)
		}
		if donor.EmailSealed == nil {
			return hpa.Errorf(hpa.ECONFLICT, "this donor has no email address to send a statement to").WithReason(ReasonDonorHasNoEmail)
		}
		to, err := s.openEmail(donor.ID, donor.EmailSealed)
		if err != nil {
			return err
		}
		from := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, London)
		until := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, London)
		gifts, err := store.Q.DonationList(ctx, tx, Filter{DonorID: &donorID, From: from, To: until, Limit: 10000}.params())
		if err != nil {
			return fmt.Errorf("list donation: %w", err)
		}
		ids := make([]uuid.UUID, len(gifts))
		for i, g := range gifts {
			ids[i] = g.ID
		}
		covered, err := s.giftAid.Covered(ctx, tx, ids)
		if err != nil {
			return err
		}
		var lines []map[string]any
		var total int64
		giftAid := false
		for i := len(gifts) - 1; i >= 0; i-- { // oldest first
			g := gifts[i]
			if g.Status == "disputed" || g.AmountPence == g.RefundedPence {
				continue
			}
			lines = append(lines, map[string]any{"Date": g.PaidAt.In(London).Format(longDate), "Amount": pounds(g.AmountPence - g.RefundedPence),
				"Campaign": g.CampaignSlug, "Reference": g.ID.String(), "GiftAid": covered[g.ID]})
			total += g.AmountPence - g.RefundedPence
			giftAid = giftAid || covered[g.ID]
		}
		if len(lines) == 0 {
			return hpa.Errorf(hpa.ECONFLICT, "this donor made no gifts in %s", name).WithReason(ReasonNoGiftsInYear)
		}
		if err := s.outbox.Enqueue(ctx, tx, mail.Email{Template: "donation-statement", To: to, Data: map[string]any{
			"Name": greetingName(&donor.Name), "Period": name, "From": first.Format(longDate), "To": last.Format(longDate),
			"Lines": lines, "Total": pounds(total), "GiftAid": giftAid,
		}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "donor.statement", TargetType: "donor", TargetID: donorID.String(),
			Details: map[string]any{"year": year.Year, "basis": year.Basis}})
	})
}

// SendMemberStatement emails a member the statement for a year of the
// gifts made through each donor record linked to their membership (one
// email per donor address). 409 no-gifts-in-year when none has a gift.
func (s *Service) SendMemberStatement(ctx context.Context, memberID uuid.UUID, year StatementYear) error {
	donors, err := store.Q.DonorIDsByMember(ctx, s.db, &memberID)
	if err != nil {
		return fmt.Errorf("donor i ds by member: %w", err)
	}
	sent := 0
	for _, id := range donors {
		err := s.SendStatement(ctx, id, year)
		if hpa.ErrorReason(err) == ReasonNoGiftsInYear {
			continue
		}
		if err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		_, _, name := year.span()
		return hpa.Errorf(hpa.ECONFLICT, "you made no gifts in %s that we know of", name).WithReason(ReasonNoGiftsInYear)
	}
	return nil
}
