package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/identity"
)

type registerInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body struct {
		Name                 string `json:"name,omitempty" maxLength:"200" doc:"Required unless signed in as a member."`
		Email                string `json:"email,omitempty" maxLength:"254" format:"email" doc:"Required unless signed in as a member."`
		AccessibilityNeeds   string `json:"accessibility_needs,omitempty" maxLength:"2000"`
		AccessibilityConsent bool   `json:"accessibility_consent,omitempty" doc:"Required to send accessibility_needs."`
		ShareWithOrganiser   bool   `json:"share_with_organiser,omitempty" doc:"The organiser may have your name and email."`
	}
}

type registration struct {
	ID               string `json:"id" format:"uuid" doc:"Identifies this answer. Without a member token it may name no stored registration (see the description), so do not rely on it."`
	Status           string `json:"status" enum:"confirmed,waitlisted"`
	WaitlistPosition int    `json:"waitlist_position,omitempty" doc:"1 is next in line."`
}

type cancelInput struct {
	Body struct {
		Token string `json:"token" minLength:"1" maxLength:"200" doc:"From the registration email's cancellation link."`
	}
}

type participation struct {
	RegistrationID    string     `json:"registration_id" format:"uuid"`
	Status            string     `json:"status" enum:"confirmed,waitlisted,cancelled"`
	RegisteredAt      time.Time  `json:"registered_at"`
	OpportunityID     string     `json:"opportunity_id" format:"uuid"`
	Title             string     `json:"title"`
	Kind              string     `json:"kind"`
	StartsAt          *time.Time `json:"starts_at,omitempty"`
	OpportunityStatus string     `json:"opportunity_status"`
	Outcomes          []outcome  `json:"outcomes" doc:"What was learned, once published."`
}

func registerRegistrations(hapi huma.API, svc engagementService) {
	register(hapi, publicOrMember, huma.Operation{
		OperationID: "register-for-opportunity",
		Method:      http.MethodPost,
		Path:        "/v1/opportunities/{id}/registrations",
		Summary:     "Book a place at an event",
		Description: "A place, or a place on the waiting list when the event is full (never overbooked). Signed-in members (member token) register as themselves; others give a name and email. A confirmation email with a calendar invitation and a cancellation link follows; a reminder comes the day before.\n\n" +
			"Without a member token the answer never says whether the address already has a place: it is the answer a new booking would get (201, a new `id`, the `status` and `waitlist_position` a newcomer would have), and the address's owner gets a \"you are already booked\" email (at most one an hour) saying their booking stands and how to cancel it; nothing stored changes. " +
			"409 means registration is closed (`registration-closed`) or not offered (`registration-not-offered`), or, for a signed-in member only, that they are already registered (`already-registered`).",
		Tags:          []string{"Opportunities"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusForbidden},
	}, func(ctx context.Context, in *registerInput) (*struct{ Body registration }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		req := engagement.RegistrationRequest{Name: in.Body.Name, Email: in.Body.Email, AccessibilityNeeds: in.Body.AccessibilityNeeds,
			AccessibilityConsent: in.Body.AccessibilityConsent, ShareWithOrganiser: in.Body.ShareWithOrganiser}
		if c := callerFrom(ctx); c != nil && c.Kind == identity.Member {
			req.MemberID = &c.ID
		}
		r, err := svc.Register(ctx, id, req)
		if err != nil {
			return nil, err
		}
		return &struct{ Body registration }{Body: registration{ID: r.ID.String(), Status: r.Status, WaitlistPosition: r.WaitlistPosition}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID:   "cancel-registration",
		Method:        http.MethodPost,
		Path:          "/v1/registrations/cancel",
		Summary:       "Give up a place",
		Description:   "Uses the token from the registration email's link. The first person waiting gets the place and an email. Cancelling twice is harmless.",
		Tags:          []string{"Opportunities"},
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *cancelInput) (*struct{}, error) {
		return nil, svc.Cancel(ctx, in.Body.Token)
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID: "list-my-opportunities",
		Method:      http.MethodGet,
		Path:        "/v1/me/opportunities",
		Summary:     "What I took part in",
		Description: "The member's registrations, with what was learned once organisers' outcomes are published.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body participationList }, error) {
		list, err := svc.MemberParticipation(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body participationList }{}
		out.Body.Items = make([]participation, len(list))
		for i, p := range list {
			item := participation{RegistrationID: p.RegistrationID.String(), Status: p.Status, RegisteredAt: p.RegisteredAt, OpportunityID: p.OpportunityID.String(),
				Title: p.Title, Kind: p.Kind, StartsAt: p.StartsAt, OpportunityStatus: p.OpportunityStatus, Outcomes: []outcome{}}
			for _, oc := range p.PublishedOutcomes {
				item.Outcomes = append(item.Outcomes, outcomeBody(oc))
			}
			out.Body.Items[i] = item
		}
		return out, nil
	})
}

// participationList is the body of GET /v1/me/opportunities, named so its schema is too.
type participationList struct {
	Items []participation `json:"items"`
}
