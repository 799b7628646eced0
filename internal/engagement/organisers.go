package engagement

import (
	"context"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// Organisers tells an opportunity's organisation what happened to it
// (outgoing webhooks, internal/webhooks), in the transaction of the change.
type Organisers interface {
	Emit(ctx context.Context, tx pgx.Tx, e webhooks.Event) error
}

// NotifyOrganisersWith sets who carries news to organisers.
func (s *Service) NotifyOrganisersWith(o Organisers) { s.organisers = o }

func (s *Service) tell(ctx context.Context, tx pgx.Tx, org *uuid.UUID, e webhooks.Event) error {
	if s.organisers == nil {
		return nil
	}
	e.OrganisationID = org
	return s.organisers.Emit(ctx, tx, e)
}

// decisions names each review action as the organiser is told it.
var decisions = map[string]string{ActionApprove: "approved", ActionRequestChanges: "changes-requested", ActionReject: "rejected",
	ActionPublish: "published", ActionClose: "closed"}

// tellRegistered tells the organiser of a new registration, only if the
// person agreed to share their name and email with the organiser.
func (s *Service) tellRegistered(ctx context.Context, tx pgx.Tx, o store.Opportunity, reg store.Registration, name, email string) error {
	if !reg.ShareWithOrganiser {
		return nil
	}
	return s.tell(ctx, tx, o.OrganisationID, webhooks.Event{Type: webhooks.TypeRegistrationCreated, Person: email, Data: webhooks.RegistrationCreated{
		RegistrationID: reg.ID.String(), OpportunityID: o.ID.String(), Status: reg.Status, Name: name, Email: email, RegisteredAt: reg.CreatedAt.UTC()}})
}

// tellChanged tells the organiser a registration it knows of (one shared
// with it) was cancelled or promoted: by its ID, nothing more.
func (s *Service) tellChanged(ctx context.Context, tx pgx.Tx, org *uuid.UUID, reg store.Registration, eventType string) error {
	if !reg.ShareWithOrganiser {
		return nil
	}
	return s.tell(ctx, tx, org, webhooks.Event{Type: eventType, Data: webhooks.RegistrationChanged{
		RegistrationID: reg.ID.String(), OpportunityID: reg.OpportunityID.String(), Status: reg.Status, ChangedAt: s.now().UTC()}})
}
