package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Event types. Each names what happened, to whom it is sent and, in its
// payload type below, exactly what it carries.
const (
	TypeSharingConfirmed      = "member.sharing_confirmed"
	TypeSharingWithdrawn      = "member.sharing_withdrawn"
	TypeRegistrationCreated   = "registration.created"
	TypeRegistrationCancelled = "registration.cancelled"
	TypeRegistrationPromoted  = "registration.promoted"
	TypeOpportunityReviewed   = "opportunity.reviewed"
	TypeOutcomePublished      = "outcome.published"
	TypeTest                  = "webhook.test"
)

// EventType describes one kind of event for the contract.
type EventType struct {
	Name, Summary, Description string
	// Data is a zero value of the event's data, for its schema.
	Data any
}

// EventTypes are the events an endpoint can subscribe to (and the test
// event, which is sent on request only).
var EventTypes = []EventType{
	{TypeSharingConfirmed, "A member you signed up agreed to share with you", "Sent when someone your organisation signed up with partner-sharing consent confirms it: by confirming their membership, or (if they were a member already) by using the link HPA emailed them. Carries the address you signed up and a reference for the member that is yours alone.", SharingConfirmed{}},
	{TypeSharingWithdrawn, "A member withdrew their sharing with you", "Sent when a member withdraws the partner-sharing consent they gave your organisation, or has all their data erased. Carries only the member reference you were given; delete what you hold about them that rests on this consent.", SharingWithdrawn{}},
	{TypeRegistrationCreated, "Someone registered for your event", "Sent only for registrations whose person agreed to share their name and email with the organiser.", RegistrationCreated{}},
	{TypeRegistrationCancelled, "A registration for your event was cancelled", "For registrations you were told about (registration.created).", RegistrationChanged{}},
	{TypeRegistrationPromoted, "A registration moved from the waiting list to a place", "For registrations you were told about (registration.created).", RegistrationChanged{}},
	{TypeOpportunityReviewed, "HPA reviewed your opportunity", "Approved, changes requested, rejected, published or closed, with the reviewer's note.", OpportunityReviewed{}},
	{TypeOutcomePublished, "An outcome of your opportunity was published", "What was learned, now visible to members.", OutcomePublished{}},
	{TypeTest, "A test event", "Sent only by POST /v1/webhook-endpoints/{id}/test, to that endpoint.", TestEvent{}},
}

// Subscribable reports whether endpoints may subscribe to type t.
func Subscribable(t string) bool {
	for _, et := range EventTypes {
		if et.Name == t {
			return t != TypeTest
		}
	}
	return false
}

// SharingConfirmed is the data of member.sharing_confirmed.
type SharingConfirmed struct {
	MemberRef   string    `json:"member_ref" example:"mbr_3k9x2mq8r1zq7v4t" doc:"Your organisation's reference for this member: the same in every event about them sent to you, different for every other organisation."`
	Email       string    `json:"email" format:"email" doc:"The address you signed the person up with."`
	ConfirmedAt time.Time `json:"confirmed_at"`
}

// SharingWithdrawn is the data of member.sharing_withdrawn.
type SharingWithdrawn struct {
	MemberRef   string    `json:"member_ref" example:"mbr_3k9x2mq8r1zq7v4t" doc:"The reference member.sharing_confirmed gave you."`
	Reason      string    `json:"reason" enum:"withdrawn,erased" doc:"withdrawn: the member withdrew this consent; erased: the member had all their data erased."`
	WithdrawnAt time.Time `json:"withdrawn_at"`
}

// RegistrationCreated is the data of registration.created.
type RegistrationCreated struct {
	RegistrationID string    `json:"registration_id" format:"uuid"`
	OpportunityID  string    `json:"opportunity_id" format:"uuid"`
	Status         string    `json:"status" enum:"confirmed,waitlisted"`
	Name           string    `json:"name"`
	Email          string    `json:"email" format:"email"`
	RegisteredAt   time.Time `json:"registered_at"`
}

// RegistrationChanged is the data of registration.cancelled and
// registration.promoted: the registration you were already told about.
type RegistrationChanged struct {
	RegistrationID string    `json:"registration_id" format:"uuid"`
	OpportunityID  string    `json:"opportunity_id" format:"uuid"`
	Status         string    `json:"status" enum:"confirmed,cancelled"`
	ChangedAt      time.Time `json:"changed_at"`
}

// OpportunityReviewed is the data of opportunity.reviewed.
type OpportunityReviewed struct {
	OpportunityID string    `json:"opportunity_id" format:"uuid"`
	Decision      string    `json:"decision" enum:"approved,changes-requested,rejected,published,closed"`
	Status        string    `json:"status" doc:"The opportunity's status now."`
	Note          string    `json:"note,omitempty" doc:"The reviewer's note to the organiser."`
	ReviewedAt    time.Time `json:"reviewed_at"`
}

// OutcomePublished is the data of outcome.published.
type OutcomePublished struct {
	OpportunityID string    `json:"opportunity_id" format:"uuid"`
	OutcomeID     int64     `json:"outcome_id"`
	Summary       string    `json:"summary"`
	Link          string    `json:"link,omitempty" format:"uri"`
	PublishedAt   time.Time `json:"published_at"`
}

// TestEvent is the data of webhook.test.
type TestEvent struct {
	EndpointID string `json:"endpoint_id" format:"uuid"`
	Message    string `json:"message"`
}

// Event is something that happened, for the endpoints of OrganisationID
// (nil: HPA's own tools) that subscribe to Type.
type Event struct {
	Type           string
	OrganisationID *uuid.UUID
	Data           any
	// Person is the email address of the person Data names, if any: the
	// event is cancelled, if still undelivered, when they withdraw their
	// consent or are erased.
	Person string
	// endpoint, for a test event, is the only endpoint it goes to.
	endpoint *uuid.UUID
}

// Payload is the body of a delivery (Standard Webhooks' format).
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// MessageID is the webhook-id of an event: the same in every delivery and
// retry of it, so receivers can drop duplicates.
func MessageID(id uuid.UUID) string { return "msg_" + hexID(id) }

func hexID(id uuid.UUID) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 32)
	for i, x := range id {
		b[2*i], b[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(b)
}

func payloadContext(id uuid.UUID) string { return "webhook_events.payload:" + id.String() }

// personHash is how an event about someone is found again without keeping
// their address in the clear.
func (s *Service) personHash(email string) []byte {
	return s.hasher.Hash(personDomain, hpa.EmailKey(email))
}

// personDomain is the domain of personHash.
const personDomain = "webhook-person"

// Emit records e in tx, if an enabled endpoint receives it, and queues its
// fan-out, so the event exists exactly when the change committed. An
// event nobody receives leaves nothing behind.
func (s *Service) Emit(ctx context.Context, tx pgx.Tx, e Event) error {
	_, _, err := s.emit(ctx, tx, e)
	return err
}

// emit records e and returns its ID, and false if no endpoint receives it.
func (s *Service) emit(ctx context.Context, tx pgx.Tx, e Event) (uuid.UUID, bool, error) {
	id := uuid.New()
	body, err := json.Marshal(Payload{Type: e.Type, Timestamp: s.now().UTC(), Data: e.Data})
	if err != nil {
		return id, false, fmt.Errorf("emit %s: %w", e.Type, err)
	}
	p := store.WebhookEventInsertParams{ID: id, Type: e.Type, OrganisationID: e.OrganisationID, EndpointID: e.endpoint,
		PayloadSealed: s.ring.Seal(body, payloadContext(id))}
	if e.Person != "" {
		p.PersonHash = s.personHash(e.Person)
	}
	if _, err := store.Q.WebhookEventInsert(ctx, tx, p); store.IsNotFound(err) {
		return id, false, nil // no endpoint receives it
	} else if err != nil {
		return id, false, fmt.Errorf("emit %s: %w", e.Type, err)
	}
	if _, err := s.jobs.InsertTx(ctx, tx, FanoutArgs{EventID: id}, nil); err != nil {
		return id, false, fmt.Errorf("emit %s: %w", e.Type, err)
	}
	return id, true, nil
}

// Forget cancels the undelivered events about the person with this
// address for one organisation: they withdrew the consent those events
// rested on.
func (s *Service) Forget(ctx context.Context, tx pgx.Tx, organisationID uuid.UUID, email string) error {
	if err := s.cancelForPerson(ctx, tx, &organisationID, email); err != nil {
		return fmt.Errorf("cancel webhook events: %w", err)
	}
	return nil
}

// cancelForPerson cancels the undelivered events about the person with
// this address (for one organisation, or all when organisationID is nil),
// found under the hash key of any time: an event emitted before the key
// was rotated keeps the hash it was made with.
func (s *Service) cancelForPerson(ctx context.Context, tx pgx.Tx, organisationID *uuid.UUID, email string) error {
	for _, hash := range s.hasher.HashUnderEveryKey(personDomain, hpa.EmailKey(email)) {
		_, err := store.Q.WebhookEventsCancelForPerson(ctx, tx, store.WebhookEventsCancelForPersonParams{PersonHash: hash, OrganisationID: organisationID})
		if err != nil {
			return fmt.Errorf("cancel events about a person: %w", err)
		}
	}
	return nil
}

// ErasePerson cancels and wipes every undelivered event about a person
// who asked to be erased (members.Eraser), in the erasure's transaction.
// An event that carries no personal data (such as the withdrawal the
// erasure itself sends) is kept.
func (s *Service) ErasePerson(ctx context.Context, tx pgx.Tx, _ uuid.UUID, email string) error {
	if email == "" {
		return nil
	}
	if err := s.cancelForPerson(ctx, tx, nil, email); err != nil {
		return fmt.Errorf("erase webhook events: %w", err)
	}
	return nil
}
