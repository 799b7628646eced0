package donations

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Campaign is what a gift can be designated to, with its running total.
type Campaign struct {
	ID          uuid.UUID
	Slug        string
	Name        string
	Description string
	TargetPence *int64
	Active      bool
	Position    int
	TotalPence  int64
	GiftCount   int64
	UpdatedAt   time.Time
}

// Campaigns lists campaigns in display order (only active ones unless
// all), each with its running total: gifts less refunds, disputes excluded.
func (s *Service) Campaigns(ctx context.Context, all bool) ([]Campaign, error) {
	rows, err := store.Q.CampaignList(ctx, s.db, !all)
	if err != nil {
		return nil, fmt.Errorf("list campaign: %w", err)
	}
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = Campaign{ID: r.ID, Slug: r.Slug, Name: r.Name, Description: r.Description, TargetPence: r.TargetPence, Active: r.Active,
			Position: int(r.Position), TotalPence: r.TotalPence, GiftCount: r.GiftCount, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// Campaign returns one campaign by slug.
func (s *Service) Campaign(ctx context.Context, slug string, all bool) (*Campaign, error) {
	list, err := s.Campaigns(ctx, all)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Slug == slug {
			return &list[i], nil
		}
	}
	return nil, hpa.Errorf(hpa.ENOTFOUND, "no campaign is called %q", slug)
}

// CampaignChange creates or edits a campaign; nil fields stay as they are.
type CampaignChange struct {
	Name        *string
	Description *string
	TargetPence *int64
	ClearTarget bool
	Active      *bool
	Position    *int
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CreateCampaign adds a campaign.
func (s *Service) CreateCampaign(ctx context.Context, slug string, c CampaignChange) (*Campaign, error) {
	if !slugPattern.MatchString(slug) {
		return nil, hpa.Invalid("body.slug", "must be lower-case words joined by hyphens, such as winter-appeal")
	}
	if c.Name == nil {
		return nil, hpa.Invalid("body.name", "is required")
	}
	p := store.CampaignInsertParams{Slug: slug, Name: *c.Name, TargetPence: c.TargetPence, Active: true}
	if c.Description != nil {
		p.Description = *c.Description
	}
	if c.Active != nil {
		p.Active = *c.Active
	}
	if c.Position != nil {
		p.Position = int32(*c.Position)
	}
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := store.Q.CampaignInsert(ctx, tx, p)
		if store.IsUniqueViolation(err, "") {
			return hpa.Errorf(hpa.ECONFLICT, "a campaign is already called %q", slug).WithReason(ReasonSlugTaken)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "campaign.create", TargetType: "campaign", TargetID: row.ID.String()})
	})
	if err != nil {
		return nil, err
	}
	return s.Campaign(ctx, slug, true)
}

// UpdateCampaign edits a campaign.
func (s *Service) UpdateCampaign(ctx context.Context, slug string, c CampaignChange) (*Campaign, error) {
	p := store.CampaignUpdateParams{Slug: slug, Name: c.Name, Description: c.Description, TargetPence: c.TargetPence, ClearTarget: c.ClearTarget, Active: c.Active}
	if c.Position != nil {
		pos := int32(*c.Position)
		p.Position = &pos
	}
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := store.Q.CampaignUpdate(ctx, tx, p)
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no campaign is called %q", slug)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "campaign.update", TargetType: "campaign", TargetID: row.ID.String()})
	})
	if err != nil {
		return nil, err
	}
	return s.Campaign(ctx, slug, true)
}

// Totals are public figures per campaign for a period: no personal data.
type Totals struct {
	From, To time.Time
	Items    []CampaignTotal
}

// CampaignTotal is one campaign's total in a period.
type CampaignTotal struct {
	Slug, Name string
	TotalPence int64
	GiftCount  int64
}

// YearTotals returns this calendar year's totals per campaign (UK time).
func (s *Service) YearTotals(ctx context.Context) (*Totals, error) {
	now := s.now().In(London)
	from := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, London)
	return s.totals(ctx, from, from.AddDate(1, 0, 0))
}

func (s *Service) totals(ctx context.Context, from, to time.Time) (*Totals, error) {
	rows, err := store.Q.LedgerTotalsByCampaign(ctx, s.db, store.LedgerTotalsByCampaignParams{FromTime: from, ToTime: to})
	if err != nil {
		return nil, fmt.Errorf("total the ledger by campaign: %w", err)
	}
	t := &Totals{From: from, To: to, Items: make([]CampaignTotal, len(rows))}
	for i, r := range rows {
		t.Items[i] = CampaignTotal{Slug: r.Slug, Name: r.Name, TotalPence: r.TotalPence, GiftCount: r.GiftCount}
	}
	return t, nil
}
