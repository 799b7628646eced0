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
		Description: "Everything the key's organisation submitted, with its review status and HPA's notes.",
		Tags:        []string{"Partner opportunities"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body opportunityPage }, error) {
		list, err := svc.ListOwn(ctx, *partnerOrg(ctx))
		if err != nil {
			return nil, err
		}
		page := opportunityPage{Items: make([]opportunity, len(list))}
		for i, o := range list {
			page.Items[i] = opportunityBody(o, true)
		}
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
