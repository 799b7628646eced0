package engagement

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
)

// Booking is what someone deciding to take part needs to know about
// getting a place: whether HPA takes registrations for it, until when,
// and how many places are left.
type Booking struct {
	// Offered: people register through HPA (a survey is answered at its
	// own link instead).
	Offered bool
	// Open: registration is offered, the opportunity is published and
	// registration has not closed.
	Open bool
	// ClosesAt is when registration closes: the earlier of the closing
	// time and the start; nil when neither is set.
	ClosesAt *time.Time
	// Capacity is the number of places; nil when unlimited.
	Capacity *int
	// Confirmed is the number of places taken.
	Confirmed int
	// PlacesLeft is nil when unlimited, else never below zero.
	PlacesLeft *int
	// Full: every place is taken; new registrations join the waiting list.
	Full bool
}

// book fills in each opportunity's Booking, counting the places taken in
// one query.
func (s *Service) book(ctx context.Context, db store.DBTX, ops ...*Opportunity) error {
	ids := make([]uuid.UUID, 0, len(ops))
	for _, o := range ops {
		if slices.Contains(registrationKinds, o.Kind) {
			ids = append(ids, o.ID)
		}
	}
	confirmed := map[uuid.UUID]int{}
	if len(ids) > 0 {
		rows, err := store.Q.RegistrationCountConfirmedByOpportunity(ctx, db, ids)
		if err != nil {
			return fmt.Errorf("count places taken: %w", err)
		}
		for _, r := range rows {
			confirmed[r.OpportunityID] = int(r.Confirmed)
		}
	}
	now := s.now()
	for _, o := range ops {
		o.Booking = booking(o, confirmed[o.ID], now)
	}
	return nil
}

func booking(o *Opportunity, confirmed int, now time.Time) Booking {
	b := Booking{Offered: slices.Contains(registrationKinds, o.Kind)}
	if !b.Offered {
		return b
	}
	b.ClosesAt = o.ClosesAt
	if o.StartsAt != nil && (b.ClosesAt == nil || o.StartsAt.Before(*b.ClosesAt)) {
		b.ClosesAt = o.StartsAt
	}
	b.Open = o.Status == StatusPublished && (b.ClosesAt == nil || b.ClosesAt.After(now))
	b.Capacity, b.Confirmed = o.Capacity, confirmed
	if o.Capacity != nil {
		left := max(*o.Capacity-confirmed, 0)
		b.PlacesLeft, b.Full = &left, left == 0
	}
	return b
}
