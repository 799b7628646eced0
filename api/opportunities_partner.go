package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/identity"
)

var partnerOpportunities = keyWith(identity.ScopeOpportunitiesWrite)

// partnerOrg is the calling key's organisation: a partner sees and edits
// only what its organisation submitted.
func partnerOrg(ctx context.Context) *uuid.UUID {
	org := callerFrom(ctx).OrganisationID
	return &org
}

// partnerOpportunityListInput pages a partner's own opportunities. Its
// limit defaults to 500, as many as the list gave before it took a
// cursor (1.1.0 and earlier), so a client that reads one page misses
// nothing it saw before.
type partnerOpportunityListInput struct {
	Cursor string `query:"cursor" maxLength:"512" doc:"Opaque cursor from a previous page's next_cursor."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"500" doc:"Most items to return."`
}

func registerPartnerOpportunities(hapi huma.API, svc engagementService) {
	register(hapi, partnerOpportunities, huma.Operation{
		OperationID:   "submit-partner-opportunity",
		Method:        http.MethodPost,
		Path:          "/v1/partner/opportunities",
		Summary:       "Submit an opportunity for HPA to share",
		Description:   "A partner organisation submits a survey, study, event or consultation; HPA reviews it before members see it. Research studies need their ethics approval reference.",
		Tags:          []string{"Partner opportunities"},
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *partnerOpportunityInput) (*opportunityOutput, error) {
		c := callerFrom(ctx)
		o, err := svc.Create(ctx, engagement.Submitter{KeyID: &c.ID, OrganisationID: &c.OrganisationID}, in.Body.details())
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, partnerOpportunities, huma.Operation{
		OperationID: "list-partner-opportunities",
		Method:      http.MethodGet,
		Path:        "/v1/partner/opportunities",
		Summary:     "Our submitted opportunities",
		Description: "Everything the key's organisation submitted, with its review status and HPA's notes, newest first; cursor-paginated like every list (next_cursor, sent back as cursor).",
		Tags:        []string{"Partner opportunities"},
	}, func(ctx context.Context, in *partnerOpportunityListInput) (*struct{ Body opportunityPage }, error) {
		var cur opportunityCursor
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		list, err := svc.ListOwn(ctx, *partnerOrg(ctx), in.Limit, cur.At, cur.ID)
		if err != nil {
			return nil, err
		}
		var page opportunityPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, func(o *engagement.Opportunity) opportunity { return opportunityBody(o, true) },
			func(last *engagement.Opportunity) any { return opportunityCursor{At: last.CreatedAt, ID: last.ID} })
		return &struct{ Body opportunityPage }{Body: page}, nil
	})

	register(hapi, partnerOpportunities, huma.Operation{
		OperationID: "get-partner-opportunity",
		Method:      http.MethodGet,
		Path:        "/v1/partner/opportunities/{id}",
		Summary:     "One of our opportunities",
		Description: "Another organisation's opportunity is a 404.",
		Tags:        []string{"Partner opportunities"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *opportunityIDInput) (*opportunityOutput, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		o, err := svc.Get(ctx, id, engagement.Viewer{OrganisationID: partnerOrg(ctx)})
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, partnerOpportunities, huma.Operation{
		OperationID: "update-partner-opportunity",
		Method:      http.MethodPut,
		Path:        "/v1/partner/opportunities/{id}",
		Summary:     "Change one of our opportunities",
		Description: "Possible while it is under review; after HPA requested changes, saving sends it back for review.",
		Tags:        []string{"Partner opportunities"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *partnerOpportunityUpdateInput) (*opportunityOutput, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		o, err := svc.Update(ctx, id, partnerOrg(ctx), in.Body.details())
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, partnerOpportunities, huma.Operation{
		OperationID: "list-partner-attendees",
		Method:      http.MethodGet,
		Path:        "/v1/partner/opportunities/{id}/registrations",
		Summary:     "Who agreed to share their registration with us",
		Description: "Only registrants who agreed to share their name and email with the organiser; never accessibility needs. Audited.",
		Tags:        []string{"Partner opportunities"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *opportunityIDInput) (*struct{ Body attendeeList }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		regs, err := svc.Attendees(ctx, id, engagement.AttendeeView{OrganisationID: partnerOrg(ctx)})
		if err != nil {
			return nil, err
		}
		return &struct{ Body attendeeList }{Body: attendeeListBody(regs)}, nil
	})

	registerOutcomeReport(hapi, svc, partnerOpportunities, "report-partner-outcome", "/v1/partner/opportunities/{id}/outcomes", "Partner opportunities", partnerOrg)
}
