package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/riverqueue/river"
)

// AttendeeView says who is asking for an attendee list, which decides what
// they see: staff see everyone; accessibility needs only for the
// membership role or the opportunity's HPA contact; an organiser only the
// people who agreed to share with them, and never accessibility needs.
type AttendeeView struct {
	StaffID        *uuid.UUID
	MembershipRole bool
	OrganisationID *uuid.UUID
}

// Attendees lists an opportunity's registrations for view. Every listing
// is audited.
func (s *Service) Attendees(ctx context.Context, id uuid.UUID, view AttendeeView) ([]*Registration, error) {
	row, err := s.get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if view.OrganisationID != nil && !sameOrg(row.OrganisationID, view.OrganisationID) {
		return nil, errNotFound
	}
	withAccess := view.MembershipRole || (view.StaffID != nil && row.HpaContactID != nil && *row.HpaContactID == *view.StaffID)
	regs, err := store.Q.RegistrationListByOpportunity(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("attendees: %w", err)
	}
	out := []*Registration{}
	for _, r := range regs {
		if view.OrganisationID != nil && (!r.ShareWithOrganiser || r.Status == RegCancelled) {
			continue
		}
		reg, err := s.openRegistration(r, withAccess && view.OrganisationID == nil)
		if err != nil {
			return nil, err
		}
		out = append(out, reg)
	}
	action := "opportunity.attendees_read"
	if withAccess {
		action = "opportunity.attendees_read_access_needs"
	}
	return out, audit.Record(ctx, s.db, audit.Event{Action: action, TargetType: "opportunity", TargetID: id.String(), Details: map[string]any{"count": len(out)}})
}

// Calendar is the iCalendar feed of published events from a month ago on.
func (s *Service) Calendar(ctx context.Context) ([]byte, error) {
	rows, err := store.Q.OpportunityListCalendar(ctx, s.db, s.now().Add(-30*24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return calendar("Harmed Patients Alliance events", s.settings.SiteURL, fromRows(rows), s.now()), nil
}

// AddWorkers registers engagement's background workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, &FanoutWorker{s: s})
	river.AddWorker(workers, &SendWorker{s: s})
	river.AddWorker(workers, &ReminderWorker{s: s})
	river.AddWorker(workers, &DigestWorker{s: s})
}
