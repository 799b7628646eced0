package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/identity"
)

// treasurers are the staff who handle money: treasurer (and admin).
var treasurers = staffWith(identity.RoleTreasurer)

type campaign struct {
	Slug        string    `json:"slug" example:"webinars" doc:"Stable identifier; send it as a gift's campaign."`
	Name        string    `json:"name" example:"Webinars"`
	Description string    `json:"description"`
	TargetPence *int64    `json:"target_pence,omitempty" example:"500000" doc:"The fundraising target in pence, if there is one."`
	TotalPence  int64     `json:"total_pence" example:"123450" doc:"Running total in pence: every gift so far less refunds, disputed payments excluded."`
	GiftCount   int64     `json:"gift_count" doc:"How many gifts make up the total."`
	Active      bool      `json:"active" doc:"Only active campaigns take new gifts."`
	Position    int       `json:"position" doc:"Display order, lowest first."`
	UpdatedAt   time.Time `json:"updated_at"`
}

func campaignBody(c *donations.Campaign) campaign {
	return campaign{Slug: c.Slug, Name: c.Name, Description: c.Description, TargetPence: c.TargetPence, TotalPence: c.TotalPence,
		GiftCount: c.GiftCount, Active: c.Active, Position: c.Position, UpdatedAt: c.UpdatedAt}
}

type campaignList struct {
	Items []campaign `json:"items"`
}

type campaignGetInput struct {
	Slug string `path:"slug" maxLength:"60" doc:"The campaign's slug."`
	ConditionalGet
}

type CampaignFields struct {
	Name        *string `json:"name,omitempty" minLength:"1" maxLength:"120"`
	Description *string `json:"description,omitempty" maxLength:"2000"`
	TargetPence *int64  `json:"target_pence,omitempty" minimum:"1" maximum:"10000000000" doc:"Fundraising target in pence."`
	Active      *bool   `json:"active,omitempty"`
	Position    *int    `json:"position,omitempty" minimum:"0" maximum:"10000"`
}

type createCampaignInput struct {
	Body struct {
		Slug string `json:"slug" minLength:"1" maxLength:"60" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" example:"winter-appeal"`
		CampaignFields
	}
}

type updateCampaignInput struct {
	Slug string `path:"slug" maxLength:"60" doc:"The campaign's slug."`
	Body struct {
		CampaignFields
		ClearTarget bool `json:"clear_target,omitempty" doc:"true removes the target."`
	}
}

func (f CampaignFields) change() donations.CampaignChange {
	return donations.CampaignChange{Name: f.Name, Description: f.Description, TargetPence: f.TargetPence, Active: f.Active, Position: f.Position}
}

func registerCampaigns(hapi huma.API, svc *donations.Service) {
	register(hapi, public, huma.Operation{
		OperationID: "list-campaigns",
		Method:      http.MethodGet,
		Path:        "/v1/campaigns",
		Summary:     "List the campaigns a gift can go to",
		Description: "The funds open for gifts (website, webinars, campaigning, where it is needed most…) in display order, each with its public running total. No personal data. " + liveCachingNote,
		Tags:        []string{"Donations"},
		Responses:   encodedResponses[campaignList](hapi, "The open campaigns."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		list, err := svc.Campaigns(ctx, false)
		if err != nil {
			return nil, err
		}
		out := campaignList{Items: make([]campaign, len(list))}
		for i := range list {
			out.Items[i] = campaignBody(&list[i])
		}
		return hashedDocument(ctx, in.IfNoneMatch, out, liveCacheControl)
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-campaign",
		Method:      http.MethodGet,
		Path:        "/v1/campaigns/{slug}",
		Summary:     "Get a campaign and its running total",
		Description: "One open campaign with its target and running total. " + liveCachingNote,
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound},
		Responses:   encodedResponses[campaign](hapi, "The campaign."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *campaignGetInput) (*encodedOutput, error) {
		c, err := svc.Campaign(ctx, in.Slug, false)
		if err != nil {
			return nil, err
		}
		return hashedDocument(ctx, in.IfNoneMatch, campaignBody(c), liveCacheControl)
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "create-campaign",
		Method:        http.MethodPost,
		Path:          "/v1/campaigns",
		Summary:       "Create a campaign",
		Description:   "Adds a fund gifts can be designated to. Audit-logged.",
		Tags:          []string{"Donations"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *createCampaignInput) (*struct{ Body campaign }, error) {
		c, err := svc.CreateCampaign(ctx, in.Body.Slug, in.Body.change())
		if err != nil {
			return nil, err
		}
		return &struct{ Body campaign }{Body: campaignBody(c)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "update-campaign",
		Method:      http.MethodPatch,
		Path:        "/v1/campaigns/{slug}",
		Summary:     "Change a campaign",
		Description: "Only the fields sent change. Deactivating a campaign stops new gifts to it; its gifts and total stay. Audit-logged.",
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *updateCampaignInput) (*struct{ Body campaign }, error) {
		change := in.Body.change()
		change.ClearTarget = in.Body.ClearTarget
		c, err := svc.UpdateCampaign(ctx, in.Slug, change)
		if err != nil {
			return nil, err
		}
		return &struct{ Body campaign }{Body: campaignBody(c)}, nil
	})
}
