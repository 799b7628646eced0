package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/identity"
)

// engagementService is what the opportunity operations need.
type engagementService interface {
	Create(ctx context.Context, by engagement.Submitter, d engagement.Details) (*engagement.Opportunity, error)
	Update(ctx context.Context, id uuid.UUID, owner *uuid.UUID, d engagement.Details) (*engagement.Opportunity, error)
	Get(ctx context.Context, id uuid.UUID, view engagement.Viewer) (*engagement.Opportunity, error)
	ListPublished(ctx context.Context, f engagement.PublicFilter) ([]*engagement.Opportunity, error)
	ListForReview(ctx context.Context, status string, limit int, afterCreated time.Time, afterID uuid.UUID) ([]*engagement.Opportunity, error)
	ListOwn(ctx context.Context, organisationID uuid.UUID, limit int, afterCreated time.Time, afterID uuid.UUID) ([]*engagement.Opportunity, error)
	Review(ctx context.Context, id uuid.UUID, action, note string) (*engagement.Opportunity, error)
	Progress(ctx context.Context, id uuid.UUID) (*engagement.AlertProgress, error)
	SetPaused(ctx context.Context, id uuid.UUID, paused bool) (*engagement.AlertProgress, error)
	Register(ctx context.Context, id uuid.UUID, req engagement.RegistrationRequest) (*engagement.Registration, error)
	Cancel(ctx context.Context, token string) error
	Attendees(ctx context.Context, id uuid.UUID, view engagement.AttendeeView) ([]*engagement.Registration, error)
	Calendar(ctx context.Context) ([]byte, error)
	ReportOutcome(ctx context.Context, id uuid.UUID, owner *uuid.UUID, summary, link string) (*engagement.Outcome, error)
	PublishOutcome(ctx context.Context, id uuid.UUID, outcomeID int64) (*engagement.Outcome, error)
	Outcomes(ctx context.Context, id uuid.UUID, all bool) ([]engagement.Outcome, error)
	MemberParticipation(ctx context.Context, memberID uuid.UUID) ([]engagement.Participation, error)
}

var opportunityEditors = staffWith(identity.RoleEditor)

type outcome struct {
	ID          int64      `json:"id"`
	Summary     string     `json:"summary"`
	Link        string     `json:"link,omitempty" format:"uri"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func outcomeBody(o engagement.Outcome) outcome {
	return outcome{ID: o.ID, Summary: o.Summary, Link: o.Link, PublishedAt: o.PublishedAt, CreatedAt: o.CreatedAt}
}

type opportunity struct {
	ID              string     `json:"id" format:"uuid"`
	Kind            string     `json:"kind" enum:"survey,listening-event,research-study,webinar,consultation,other"`
	Title           string     `json:"title"`
	Summary         string     `json:"summary"`
	Description     string     `json:"description" doc:"Markdown, as the organiser wrote it."`
	DescriptionHTML string     `json:"description_html" doc:"Rendered and sanitised: safe to insert into a page."`
	OrganiserName   string     `json:"organiser_name"`
	OrganisationID  string     `json:"organisation_id,omitempty" format:"uuid" doc:"The partner organisation that owns it; absent for HPA's own."`
	Audiences       []string   `json:"audiences"`
	Online          bool       `json:"online"`
	Location        string     `json:"location,omitempty"`
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	ClosesAt        *time.Time `json:"closes_at,omitempty"`
	TimeZone        string     `json:"time_zone" example:"Europe/London"`
	Capacity        *int       `json:"capacity,omitempty"`
	ExternalURL     string     `json:"external_url,omitempty" format:"uri"`
	EthicsReference string     `json:"ethics_reference,omitempty"`
	ContactName     string     `json:"contact_name,omitempty"`
	ContactEmail    string     `json:"contact_email,omitempty" format:"email"`
	Status          string     `json:"status" enum:"submitted,changes-requested,approved,published,closed,rejected"`
	ReviewNote      string     `json:"review_note,omitempty" doc:"HPA's note to the organiser (organiser and staff only)."`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Outcomes        []outcome  `json:"outcomes" doc:"What the organiser learned, once HPA publishes it."`
	Booking         booking    `json:"booking" doc:"Whether and until when people can get a place through HPA, and how many are left."`
}

// booking tells a visitor whether they can get a place, without reading
// the kind, dates and capacity and applying the rules themselves.
type booking struct {
	Offered     bool       `json:"offered" doc:"People register through HPA: POST /v1/opportunities/{id}/registrations. False for surveys, which are answered at external_url."`
	Open        bool       `json:"open" doc:"Registration is offered and not closed: a registration now gets a place, or a place on the waiting list when full is true."`
	ClosesAt    *time.Time `json:"closes_at,omitempty" doc:"When registration closes: the earlier of closes_at and starts_at. Absent when neither is set or registration is not offered."`
	Capacity    *int       `json:"capacity,omitempty" example:"40" doc:"The number of places; absent when unlimited."`
	PlacesLeft  *int       `json:"places_left,omitempty" example:"12" doc:"Places not yet taken; absent when unlimited."`
	Full        bool       `json:"full" doc:"Every place is taken: new registrations join the waiting list (waiting_list is true while open)."`
	WaitingList bool       `json:"waiting_list" doc:"A registration now would join the waiting list: open and full. Someone cancelling gives the first person waiting their place."`
}

func bookingBody(b engagement.Booking) booking {
	return booking{Offered: b.Offered, Open: b.Open, ClosesAt: b.ClosesAt, Capacity: b.Capacity, PlacesLeft: b.PlacesLeft, Full: b.Full, WaitingList: b.Open && b.Full}
}

// publicOpportunity and privateOpportunity render for the public, and for
// staff and the organiser (who also see HPA's review note).
func publicOpportunity(o *engagement.Opportunity) opportunity  { return opportunityBody(o, false) }
func privateOpportunity(o *engagement.Opportunity) opportunity { return opportunityBody(o, true) }

func opportunityBody(o *engagement.Opportunity, private bool) opportunity {
	b := opportunity{ID: o.ID.String(), Kind: o.Kind, Title: o.Title, Summary: o.Summary, Description: o.Description, DescriptionHTML: o.DescriptionHTML,
		OrganiserName: o.OrganiserName, Audiences: nonNil(o.Audiences), Online: o.Online, Location: o.Location, StartsAt: o.StartsAt,
		EndsAt: o.EndsAt, ClosesAt: o.ClosesAt, TimeZone: o.TimeZone, Capacity: o.Capacity, ExternalURL: o.ExternalURL,
		EthicsReference: o.EthicsReference, ContactName: o.ContactName, ContactEmail: o.ContactEmail, Status: o.Status,
		PublishedAt: o.PublishedAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Outcomes: []outcome{}, Booking: bookingBody(o.Booking)}
	if o.OrganisationID != nil {
		b.OrganisationID = o.OrganisationID.String()
	}
	if private {
		b.ReviewNote = o.ReviewNote
	}
	return b
}

// OpportunityFields is what an organiser or editor writes (exported so
// huma documents it where it is embedded).
type OpportunityFields struct {
	Kind            string     `json:"kind" enum:"survey,listening-event,research-study,webinar,consultation,other"`
	Title           string     `json:"title" minLength:"1" maxLength:"200"`
	Summary         string     `json:"summary" minLength:"1" maxLength:"1000"`
	Description     string     `json:"description,omitempty" maxLength:"50000" doc:"Markdown."`
	OrganiserName   string     `json:"organiser_name" minLength:"1" maxLength:"200"`
	Audiences       []string   `json:"audiences,omitempty" maxItems:"20" uniqueItems:"true" doc:"Audience keys (the key of each audience in GET /v1/audiences); empty means everyone."`
	Online          bool       `json:"online,omitempty"`
	Location        string     `json:"location,omitempty" maxLength:"500"`
	StartsAt        *time.Time `json:"starts_at,omitempty" doc:"Required for listening events and webinars."`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	ClosesAt        *time.Time `json:"closes_at,omitempty" doc:"When taking part (or registering) closes."`
	Capacity        *int       `json:"capacity,omitempty" minimum:"1" maximum:"100000"`
	ExternalURL     string     `json:"external_url,omitempty" maxLength:"2000" format:"uri"`
	EthicsReference string     `json:"ethics_reference,omitempty" maxLength:"200" doc:"Required for research studies: the ethics committee's approval reference."`
	ContactName     string     `json:"contact_name,omitempty" maxLength:"200"`
	ContactEmail    string     `json:"contact_email,omitempty" maxLength:"254" format:"email"`
}

func (f OpportunityFields) details() engagement.Details {
	return engagement.Details{Kind: f.Kind, Title: f.Title, Summary: f.Summary, Description: f.Description, OrganiserName: f.OrganiserName,
		Audiences: f.Audiences, Online: f.Online, Location: f.Location, StartsAt: f.StartsAt, EndsAt: f.EndsAt, ClosesAt: f.ClosesAt,
		Capacity: f.Capacity, ExternalURL: f.ExternalURL, EthicsReference: f.EthicsReference, ContactName: f.ContactName, ContactEmail: f.ContactEmail}
}

// StaffOpportunityFields adds what only HPA staff set.
type StaffOpportunityFields struct {
	OpportunityFields
	HPAContactID string `json:"hpa_contact_id,omitempty" format:"uuid" doc:"The staff member looking after the people who come: must be an active staff member with the membership role (or admin). Grants no access of its own."`
}

func (f StaffOpportunityFields) details() (engagement.Details, error) {
	d := f.OpportunityFields.details()
	if f.HPAContactID != "" {
		id, err := uuidField(f.HPAContactID, "body.hpa_contact_id")
		if err != nil {
			return d, err
		}
		d.HPAContactID = &id
	}
	return d, nil
}

type opportunityListInput struct {
	PageQuery
	Kind     string `query:"kind" enum:"survey,listening-event,research-study,webinar,consultation,other"`
	Audience string `query:"audience" maxLength:"100"`
	Upcoming bool   `query:"upcoming" doc:"Only those not yet over."`
	ConditionalGet
}

type opportunityPage struct {
	Items      []opportunity `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

type opportunityCursor struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

type opportunityIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Opportunity ID."`
}

type opportunityGetInput struct {
	ID string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	ConditionalGet
}

type opportunityOutput struct{ Body opportunity }

// viewerOf is what the caller may see of opportunities.
func viewerOf(ctx context.Context) engagement.Viewer {
	c := callerFrom(ctx)
	switch {
	case c.HasRole(identity.RoleEditor, identity.RoleMembership):
		return engagement.Viewer{Staff: true}
	case c.HasScope(identity.ScopeOpportunitiesWrite):
		return engagement.Viewer{OrganisationID: &c.OrganisationID}
	}
	return engagement.Viewer{}
}

func registerOpportunities(hapi huma.API, svc engagementService) {
	register(hapi, public, huma.Operation{
		OperationID: "list-opportunities",
		Method:      http.MethodGet,
		Path:        "/v1/opportunities",
		Summary:     "Opportunities to give your voice",
		Description: "Published surveys, listening events, research studies, webinars and consultations, newest first. " + liveCachingNote,
		Tags:        []string{"Opportunities"},
		Responses:   encodedResponses[opportunityPage](hapi, "A page of published opportunities."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *opportunityListInput) (*encodedOutput, error) {
		var cur opportunityCursor
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		list, err := svc.ListPublished(ctx, engagement.PublicFilter{Kind: in.Kind, Audience: in.Audience, Upcoming: in.Upcoming, Limit: in.Limit, AfterPublished: cur.At, AfterID: cur.ID})
		if err != nil {
			return nil, err
		}
		var page opportunityPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, publicOpportunity, func(last *engagement.Opportunity) any {
			return opportunityCursor{At: *last.PublishedAt, ID: last.ID}
		})
		return hashedDocument(ctx, in.IfNoneMatch, page, liveCacheControl)
	})

	register(hapi, public, huma.Operation{
		OperationID: "opportunities-calendar",
		Method:      http.MethodGet,
		Path:        "/v1/opportunities/calendar.ics",
		Summary:     "Calendar feed of events",
		Description: "Published events as an iCalendar (RFC 5545) feed to subscribe to from a calendar app.",
		Tags:        []string{"Opportunities"},
		Responses: map[string]*huma.Response{"200": {Description: "An iCalendar document.",
			Content: map[string]*huma.MediaType{"text/calendar": {Schema: &huma.Schema{Type: "string"}}}}},
		Metadata: map[string]any{cacheableKey: true},
	}, func(ctx context.Context, _ *struct{}) (*struct {
		ContentType  string `header:"Content-Type"`
		CacheControl string `header:"Cache-Control"`
		Body         []byte
	}, error) {
		b, err := svc.Calendar(ctx)
		if err != nil {
			return nil, err
		}
		return &struct {
			ContentType  string `header:"Content-Type"`
			CacheControl string `header:"Cache-Control"`
			Body         []byte
		}{ContentType: "text/calendar; charset=utf-8", CacheControl: "public, max-age=300", Body: b}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-opportunity",
		Method:      http.MethodGet,
		Path:        "/v1/opportunities/{id}",
		Summary:     "One opportunity",
		Description: "A published opportunity with its published outcomes. Editors also see unpublished ones; partners their own. " + liveCachingNote,
		Tags:        []string{"Opportunities"},
		Errors:      []int{http.StatusNotFound},
		Responses:   encodedResponses[opportunity](hapi, "The opportunity."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *opportunityGetInput) (*encodedOutput, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		view := viewerOf(ctx)
		o, err := svc.Get(ctx, id, view)
		if err != nil {
			return nil, err
		}
		outcomes, err := svc.Outcomes(ctx, id, view.Staff)
		if err != nil {
			return nil, err
		}
		body := opportunityBody(o, view.Staff || view.OrganisationID != nil)
		for _, oc := range outcomes {
			body.Outcomes = append(body.Outcomes, outcomeBody(oc))
		}
		return hashedDocument(ctx, in.IfNoneMatch, body, liveCacheControl)
	})

	registerOpportunityEditing(hapi, svc)
	registerRegistrations(hapi, svc)
}
