package engagement

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Kinds of opportunity, and the member interest each one alerts.
var kindInterest = map[string]string{
	"survey":          "surveys",
	"listening-event": "listening-events",
	"research-study":  "research-opportunities",
	"webinar":         "webinars",
	"consultation":    "campaigning-news",
	"other":           "general-news",
}

// Kinds lists the kinds of opportunity.
var Kinds = []string{"survey", "listening-event", "research-study", "webinar", "consultation", "other"}

// datedKinds happen at a time, so need a start.
var datedKinds = []string{"listening-event", "webinar"}

// registrationKinds take registrations through HPA (a survey is answered
// at its own link).
var registrationKinds = []string{"listening-event", "research-study", "webinar", "consultation", "other"}

// Statuses of an opportunity.
const (
	StatusSubmitted        = "submitted"
	StatusChangesRequested = "changes-requested"
	StatusApproved         = "approved"
	StatusPublished        = "published"
	StatusClosed           = "closed"
	StatusRejected         = "rejected"
)

// Opportunity is one opportunity.
type Opportunity struct {
	ID              uuid.UUID
	Kind            string
	Title           string
	Summary         string
	Description     string // Markdown, as written
	DescriptionHTML string // rendered and sanitised
	OrganiserName   string
	OrganisationID  *uuid.UUID // nil: HPA's own
	Audiences       []string
	Online          bool
	Location        string
	StartsAt        *time.Time
	EndsAt          *time.Time
	ClosesAt        *time.Time
	TimeZone        string
	Capacity        *int
	ExternalURL     string
	EthicsReference string
	ContactName     string
	ContactEmail    string
	HPAContactID    *uuid.UUID
	Status          string
	ReviewNote      string
	PublishedAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Booking is filled in by the service's reads and writes.
	Booking Booking
}

// Details is what an organiser or editor writes.
type Details struct {
	Kind, Title, Summary, Description, OrganiserName string
	Audiences                                        []string
	Online                                           bool
	Location                                         string
	StartsAt, EndsAt, ClosesAt                       *time.Time
	Capacity                                         *int
	ExternalURL, EthicsReference                     string
	ContactName, ContactEmail                        string
	HPAContactID                                     *uuid.UUID
}

// validate checks an opportunity's details against the rules that hold
// for every opportunity, and that it is not already over.
func (d *Details) validate(now time.Time) error {
	var fields []hpa.FieldError
	bad := func(loc, msg string) { fields = append(fields, hpa.FieldError{Location: "body." + loc, Message: msg}) }
	if _, ok := kindInterest[d.Kind]; !ok {
		bad("kind", "must be one of "+strings.Join(Kinds, ", "))
	}
	if strings.TrimSpace(d.Title) == "" {
		bad("title", "must not be blank")
	}
	if strings.TrimSpace(d.Summary) == "" {
		bad("summary", "must not be blank")
	}
	if d.Kind == "research-study" && strings.TrimSpace(d.EthicsReference) == "" {
		bad("ethics_reference", "is required for a research study (the ethics committee's approval reference)")
	}
	if slices.Contains(datedKinds, d.Kind) && d.StartsAt == nil {
		bad("starts_at", "is required for a "+d.Kind)
	}
	if d.StartsAt != nil && d.EndsAt != nil && !d.EndsAt.After(*d.StartsAt) {
		bad("ends_at", "must be after starts_at")
	}
	if d.ClosesAt != nil && !d.ClosesAt.After(now) {
		bad("closes_at", "must be in the future")
	}
	if d.StartsAt != nil && !d.StartsAt.After(now) {
		bad("starts_at", "must be in the future")
	}
	if d.ClosesAt != nil && d.StartsAt != nil && d.ClosesAt.After(*d.StartsAt) {
		bad("closes_at", "must not be after starts_at: registration closes before the event")
	}
	if d.Capacity != nil && *d.Capacity < 1 {
		bad("capacity", "must be at least 1")
	}
	if !d.Online && strings.TrimSpace(d.Location) == "" && slices.Contains(datedKinds, d.Kind) {
		bad("location", "is required unless the event is online")
	}
	if d.ExternalURL != "" {
		if u, err := url.Parse(d.ExternalURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("external_url", "must be an http(s) URL")
		}
	}
	if d.ContactEmail != "" {
		if a, err := mail.ParseAddress(d.ContactEmail); err != nil || a.Address != d.ContactEmail {
			bad("contact_email", "must be a valid email address")
		}
	}
	if len(fields) > 0 {
		return &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: fields}
	}
	return nil
}

func fromRow(r store.Opportunity) *Opportunity {
	o := &Opportunity{ID: r.ID, Kind: r.Kind, Title: r.Title, Summary: r.Summary, Description: r.Description, DescriptionHTML: r.DescriptionHtml,
		OrganiserName: r.OrganiserName, OrganisationID: r.OrganisationID, Audiences: r.Audiences, Online: r.Online, Location: store.Text(r.Location),
		StartsAt: r.StartsAt, EndsAt: r.EndsAt, ClosesAt: r.ClosesAt, TimeZone: r.TimeZone, ExternalURL: store.Text(r.ExternalUrl),
		EthicsReference: store.Text(r.EthicsReference), ContactName: store.Text(r.ContactName), ContactEmail: store.Text(r.ContactEmail),
		HPAContactID: r.HpaContactID, Status: r.Status, ReviewNote: store.Text(r.ReviewNote), PublishedAt: r.PublishedAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Capacity != nil {
		c := int(*r.Capacity)
		o.Capacity = &c
	}
	return o
}

func (s *Service) get(ctx context.Context, db store.DBTX, id uuid.UUID) (store.Opportunity, error) {
	row, err := store.Q.OpportunityGet(ctx, db, id)
	if store.IsNotFound(err) {
		return row, errNotFound
	}
	if err != nil {
		return row, fmt.Errorf("get opportunity: %w", err)
	}
	return row, nil
}

var errNotFound = hpa.Errorf(hpa.ENOTFOUND, "no opportunity with that ID")

func capacity(c *int) *int32 {
	if c == nil {
		return nil
	}
	v := int32(*c)
	return &v
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
