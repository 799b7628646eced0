package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// AttendeeView says who is asking for an attendee list, which decides what
// they see: staff see everyone; an organiser only the people who agreed to
// share with them. Accessibility needs are special-category data and
// follow the membership rule: only staff who hold the membership role (or
// admin) when they ask see them. Being the opportunity's HPA contact
// grants nothing by itself.
type AttendeeView struct {
	// MembershipRole: the caller holds the membership role (or admin) at
	// the time of the request, not merely in their token.
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
	withAccess := view.MembershipRole && view.OrganisationID == nil
	regs, err := store.Q.RegistrationListByOpportunity(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("attendees: %w", err)
	}
	out := []*Registration{}
	for _, r := range regs {
		if view.OrganisationID != nil && (!r.ShareWithOrganiser || r.Status == RegCancelled) {
			continue
		}
		reg, err := s.openRegistration(r, withAccess)
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

// checkContact refuses an HPA contact who could not see attendees'
// special-category data themself: the contact looks after the people who
// come, so it must be an active staff member with the membership role (or
// admin). The link grants no access (see AttendeeView); this keeps it from
// suggesting otherwise.
func checkContact(ctx context.Context, tx pgx.Tx, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	ok, err := identity.StaffHolds(ctx, tx, *id, identity.RoleMembership)
	if err != nil {
		return fmt.Errorf("check HPA contact: %w", err)
	}
	if !ok {
		return &hpa.Error{Code: hpa.EINVALID, Reason: ReasonHpaContactNotEligible, Message: "the HPA contact must be an active staff member with the membership role (or admin)",
			Fields: []hpa.FieldError{{Location: "body.hpa_contact_id", Message: "not an active staff member with the membership role (or admin)"}}}
	}
	return nil
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
	river.AddWorker(workers, &NoticeWorker{s: s})
	river.AddWorker(workers, &DigestWorker{s: s})
}
