package engagement

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// Outcome is what an organiser learned, to be published back to members.
type Outcome struct {
	ID            int64
	OpportunityID uuid.UUID
	Summary       string
	Link          string
	PublishedAt   *time.Time
	CreatedAt     time.Time
}

func outcomeFromRow(r store.OpportunityOutcome) Outcome {
	return Outcome{ID: r.ID, OpportunityID: r.OpportunityID, Summary: r.Summary, Link: store.Text(r.Link), PublishedAt: r.PublishedAt, CreatedAt: r.CreatedAt}
}

// ReportOutcome records an outcome for an opportunity: by its organiser
// (owner set) or by staff. HPA publishes it separately.
func (s *Service) ReportOutcome(ctx context.Context, id uuid.UUID, owner *uuid.UUID, summary, link string) (*Outcome, error) {
	summary = strings.TrimSpace(summary)
	if summary == "" {
		return nil, hpa.Invalid("body.summary", "must not be blank")
	}
	if link != "" {
		if u, err := url.Parse(link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, hpa.Invalid("body.link", "must be an http(s) URL")
		}
	}
	var out Outcome
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.get(ctx, tx, id)
		if err != nil || (owner != nil && !sameOrg(row.OrganisationID, owner)) {
			return errNotFound
		}
		if row.Status != StatusPublished && row.Status != StatusClosed {
			return hpa.Errorf(hpa.ECONFLICT, "outcomes are for opportunities that ran").WithReason(ReasonNotPublished)
		}
		oc, err := store.Q.OutcomeInsert(ctx, tx, store.OutcomeInsertParams{OpportunityID: id, Summary: summary, Link: store.NullText(link)})
		if err != nil {
			return fmt.Errorf("report outcome: %w", err)
		}
		out = outcomeFromRow(oc)
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity.outcome_report", TargetType: "opportunity", TargetID: id.String()})
	})
	return &out, err
}

// PublishOutcome makes an outcome visible on the opportunity and to the
// members who took part.
func (s *Service) PublishOutcome(ctx context.Context, id uuid.UUID, outcomeID int64) (*Outcome, error) {
	var out Outcome
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		oc, err := store.Q.OutcomeGetForPublish(ctx, tx, store.OutcomeGetForPublishParams{ID: outcomeID, OpportunityID: id})
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no such outcome for that opportunity")
		}
		if err != nil {
			return fmt.Errorf("publish outcome: %w", err)
		}
		if oc.PublishedAt != nil { // published before: nothing new to tell
			out = outcomeFromRow(oc)
			return nil
		}
		if oc, err = store.Q.OutcomePublish(ctx, tx, outcomeID); err != nil {
			return fmt.Errorf("publish outcome: %w", err)
		}
		out = outcomeFromRow(oc)
		o, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		var published time.Time
		if oc.PublishedAt != nil {
			published = oc.PublishedAt.UTC()
		}
		if err := s.tell(ctx, tx, o.OrganisationID, webhooks.Event{Type: webhooks.TypeOutcomePublished, Data: webhooks.OutcomePublished{
			OpportunityID: id.String(), OutcomeID: oc.ID, Summary: oc.Summary, Link: store.Text(oc.Link), PublishedAt: published}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity.outcome_publish", TargetType: "opportunity", TargetID: id.String()})
	})
	return &out, err
}

// Outcomes lists an opportunity's outcomes; only published ones unless all.
func (s *Service) Outcomes(ctx context.Context, id uuid.UUID, all bool) ([]Outcome, error) {
	rows, err := store.Q.OutcomeList(ctx, s.db, store.OutcomeListParams{OpportunityID: id, PublishedOnly: !all})
	if err != nil {
		return nil, fmt.Errorf("outcomes: %w", err)
	}
	out := make([]Outcome, len(rows))
	for i, r := range rows {
		out[i] = outcomeFromRow(r)
	}
	return out, nil
}

// Participation is an opportunity a member registered for.
type Participation struct {
	RegistrationID    uuid.UUID
	Status            string
	RegisteredAt      time.Time
	OpportunityID     uuid.UUID
	Title, Kind       string
	StartsAt          *time.Time
	OpportunityStatus string
	PublishedOutcomes []Outcome
}

// MemberParticipation lists what a member registered for, with what was
// learned.
func (s *Service) MemberParticipation(ctx context.Context, memberID uuid.UUID) ([]Participation, error) {
	rows, err := store.Q.RegistrationListByMember(ctx, s.db, &memberID)
	if err != nil {
		return nil, fmt.Errorf("participation: %w", err)
	}
	outcomes, err := store.Q.OutcomesPublishedForMember(ctx, s.db, &memberID)
	if err != nil {
		return nil, fmt.Errorf("participation: %w", err)
	}
	out := make([]Participation, len(rows))
	for i, r := range rows {
		out[i] = Participation{RegistrationID: r.ID, Status: r.Status, RegisteredAt: r.CreatedAt, OpportunityID: r.OpportunityID,
			Title: r.Title, Kind: r.Kind, StartsAt: r.StartsAt, OpportunityStatus: r.OpportunityStatus, PublishedOutcomes: []Outcome{}}
		for _, oc := range outcomes {
			if oc.OpportunityID == r.OpportunityID {
				out[i].PublishedOutcomes = append(out[i].PublishedOutcomes, outcomeFromRow(oc))
			}
		}
	}
	return out, nil
}
