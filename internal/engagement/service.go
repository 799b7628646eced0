package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Renderer turns an organiser's Markdown into sanitised HTML.
type Renderer interface {
	RenderMarkdown(src string) (string, error)
}

// Settings are engagement's tunables.
type Settings struct {
	SiteURL, APIURL string
	// AlertInterval: a member gets at most one alert email per interval;
	// further alerts wait for their digest.
	AlertInterval time.Duration
}

// Deps are what engagement uses besides the database.
type Deps struct {
	// Jobs queues alerts, reminders and notices; AddWorkers works them.
	Jobs   *jobs.Client
	Outbox *mail.Outbox
	// Ring seals contact details; Hasher keys the hashes of addresses.
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
	// Markdown renders organisers' descriptions (content.Service is one).
	Markdown Renderer
	// Directory answers who may be emailed (members.Service is one).
	Directory Directory
}

// Service is engagement.
type Service struct {
	db        store.DB
	jobs      *jobs.Client
	outbox    *mail.Outbox
	ring      *sealed.Ring
	hasher    *sealed.Hasher
	markdown  Renderer
	directory Directory
	settings  Settings
	now       func() time.Time
	// organisers is told what happens to opportunities (nil: nobody).
	organisers Organisers
}

// NewService returns the engagement service; its workers come from
// AddWorkers and its digests from PeriodicJobs.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	return &Service{db: db, jobs: deps.Jobs, outbox: deps.Outbox, ring: deps.Ring, hasher: deps.Hasher, markdown: deps.Markdown,
		directory: deps.Directory, settings: settings, now: now}
}

// Submitter says who creates an opportunity: a partner's key (for its
// organisation, to be reviewed) or an editor (HPA's own, approved).
type Submitter struct {
	KeyID, OrganisationID *uuid.UUID
	StaffID               *uuid.UUID
}

// Create records a new opportunity. A partner's starts as submitted for
// review; an editor's as approved, ready to publish.
func (s *Service) Create(ctx context.Context, by Submitter, d Details) (*Opportunity, error) {
	if err := d.validate(s.now()); err != nil {
		return nil, err
	}
	html, err := s.markdown.RenderMarkdown(d.Description)
	if err != nil {
		return nil, err
	}
	status := StatusApproved
	if by.OrganisationID != nil {
		status = StatusSubmitted
	}
	var out *Opportunity
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := members.CheckAudiences(ctx, tx, d.Audiences, "body.audiences"); err != nil {
			return err
		}
		if err := checkContact(ctx, tx, d.HPAContactID); err != nil {
			return err
		}
		row, err := store.Q.OpportunityInsert(ctx, tx, store.OpportunityInsertParams{
			Kind: d.Kind, Title: d.Title, Summary: d.Summary, Description: d.Description, DescriptionHtml: html, OrganiserName: d.OrganiserName,
			OrganisationID: by.OrganisationID, Audiences: nonNil(d.Audiences), Online: d.Online, Location: store.NullText(d.Location),
			StartsAt: d.StartsAt, EndsAt: d.EndsAt, ClosesAt: d.ClosesAt, Capacity: capacity(d.Capacity), ExternalUrl: store.NullText(d.ExternalURL),
			EthicsReference: store.NullText(d.EthicsReference), ContactName: store.NullText(d.ContactName), ContactEmail: store.NullText(d.ContactEmail),
			HpaContactID: d.HPAContactID, Status: status, SubmittedByKey: by.KeyID, CreatedBy: by.StaffID,
		})
		if err != nil {
			return fmt.Errorf("create opportunity: %w", err)
		}
		out = fromRow(row)
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity.create", TargetType: "opportunity", TargetID: row.ID.String(), Details: map[string]any{"status": status}})
	})
	if err != nil {
		return nil, err
	}
	return out, s.book(ctx, s.db, out)
}

// Update replaces an opportunity's details. A partner may only change its
// own, and only while it is under review (after changes were requested it
// goes back to submitted); editors may change any that is not closed.
func (s *Service) Update(ctx context.Context, id uuid.UUID, owner *uuid.UUID, d Details) (*Opportunity, error) {
	if err := d.validate(s.now()); err != nil {
		return nil, err
	}
	html, err := s.markdown.RenderMarkdown(d.Description)
	if err != nil {
		return nil, err
	}
	var out *Opportunity
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := members.CheckAudiences(ctx, tx, d.Audiences, "body.audiences"); err != nil {
			return err
		}
		if err := checkContact(ctx, tx, d.HPAContactID); err != nil {
			return err
		}
		row, err := store.Q.OpportunityGetForUpdate(ctx, tx, id)
		if store.IsNotFound(err) || (err == nil && owner != nil && !sameOrg(row.OrganisationID, owner)) {
			return errNotFound // another organisation's opportunity does not exist for this caller
		}
		if err != nil {
			return fmt.Errorf("update opportunity: %w", err)
		}
		status, contact := row.Status, d.HPAContactID
		if owner != nil {
			contact = row.HpaContactID // partners neither see nor set who looks after it at HPA
		}
		switch {
		case owner != nil && status == StatusChangesRequested:
			status = StatusSubmitted
		case owner != nil && status != StatusSubmitted:
			return hpa.Errorf(hpa.ECONFLICT, "this opportunity is %s and can no longer be edited by its organiser; contact HPA", status).WithReason(ReasonNotEditable)
		case status == StatusClosed || status == StatusRejected:
			return hpa.Errorf(hpa.ECONFLICT, "a %s opportunity cannot be edited", status).WithReason(ReasonNotEditable)
		}
		row, err = store.Q.OpportunityUpdate(ctx, tx, store.OpportunityUpdateParams{ID: id,
			Kind: d.Kind, Title: d.Title, Summary: d.Summary, Description: d.Description, DescriptionHtml: html, OrganiserName: d.OrganiserName,
			Audiences: nonNil(d.Audiences), Online: d.Online, Location: store.NullText(d.Location), StartsAt: d.StartsAt, EndsAt: d.EndsAt,
			ClosesAt: d.ClosesAt, Capacity: capacity(d.Capacity), ExternalUrl: store.NullText(d.ExternalURL), EthicsReference: store.NullText(d.EthicsReference),
			ContactName: store.NullText(d.ContactName), ContactEmail: store.NullText(d.ContactEmail), HpaContactID: contact, Status: status,
		})
		if err != nil {
			return fmt.Errorf("update opportunity: %w", err)
		}
		out = fromRow(row)
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity.update", TargetType: "opportunity", TargetID: id.String()})
	})
	if err != nil {
		return nil, err
	}
	return out, s.book(ctx, s.db, out)
}

func sameOrg(a, b *uuid.UUID) bool { return a != nil && b != nil && *a == *b }

// Get returns an opportunity. The public sees published (and closed) ones
// only; a partner its own; staff any.
func (s *Service) Get(ctx context.Context, id uuid.UUID, view Viewer) (*Opportunity, error) {
	row, err := s.get(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !view.canSee(row) {
		return nil, errNotFound
	}
	o := fromRow(row)
	return o, s.book(ctx, s.db, o)
}

// Viewer says who is looking.
type Viewer struct {
	Staff          bool
	OrganisationID *uuid.UUID
}

func (v Viewer) canSee(r store.Opportunity) bool {
	switch {
	case v.Staff:
		return true
	case v.OrganisationID != nil:
		return sameOrg(r.OrganisationID, v.OrganisationID)
	}
	return r.Status == StatusPublished || r.Status == StatusClosed
}

// PublicFilter narrows the public list.
type PublicFilter struct {
	Kind, Audience string
	Upcoming       bool
	Limit          int
	AfterPublished time.Time
	AfterID        uuid.UUID
}

// ListPublished returns published opportunities, newest first.
func (s *Service) ListPublished(ctx context.Context, f PublicFilter) ([]*Opportunity, error) {
	p := store.OpportunityListPublishedParams{Kind: store.NullText(f.Kind), Audience: store.NullText(f.Audience), Upcoming: f.Upcoming, Now: s.now(), PageSize: int32(f.Limit)}
	if f.AfterID != uuid.Nil {
		p.AfterPublished, p.AfterID = &f.AfterPublished, &f.AfterID
	}
	rows, err := store.Q.OpportunityListPublished(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list opportunities: %w", err)
	}
	return s.booked(ctx, fromRows(rows))
}

// ListForReview returns opportunities by status, oldest first: the review
// queue is status=submitted.
func (s *Service) ListForReview(ctx context.Context, status string, limit int, afterCreated time.Time, afterID uuid.UUID) ([]*Opportunity, error) {
	p := store.OpportunityListForReviewParams{Status: store.NullText(status), PageSize: int32(limit)}
	if afterID != uuid.Nil {
		p.AfterCreated, p.AfterID = &afterCreated, &afterID
	}
	rows, err := store.Q.OpportunityListForReview(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return s.booked(ctx, fromRows(rows))
}

// ListOwn returns a page of an organisation's opportunities, newest
// first, after the one created at afterCreated with afterID (none: from
// the newest).
func (s *Service) ListOwn(ctx context.Context, organisationID uuid.UUID, limit int, afterCreated time.Time, afterID uuid.UUID) ([]*Opportunity, error) {
	p := store.OpportunityListByOrganisationParams{OrganisationID: &organisationID, PageSize: int32(limit)}
	if afterID != uuid.Nil {
		p.AfterCreated, p.AfterID = &afterCreated, &afterID
	}
	rows, err := store.Q.OpportunityListByOrganisation(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list own opportunities: %w", err)
	}
	return s.booked(ctx, fromRows(rows))
}

// booked returns ops with their bookings filled in.
func (s *Service) booked(ctx context.Context, ops []*Opportunity) ([]*Opportunity, error) {
	if err := s.book(ctx, s.db, ops...); err != nil {
		return nil, err
	}
	return ops, nil
}

func fromRows(rows []store.Opportunity) []*Opportunity {
	out := make([]*Opportunity, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out
}
