package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
)

// sharingService is what a member's partner-sharing operations need.
type sharingService interface {
	PartnerSharing(ctx context.Context, id uuid.UUID) ([]members.Sharing, error)
	WithdrawPartnerSharing(ctx context.Context, id, organisationID uuid.UUID) error
}

// organisationNamer names organisations.
type organisationNamer interface {
	GetOrganisation(ctx context.Context, id uuid.UUID) (*identity.Organisation, error)
}

type partnerSharing struct {
	OrganisationID   string    `json:"organisation_id" format:"uuid"`
	OrganisationName string    `json:"organisation_name"`
	Since            time.Time `json:"since"`
}

type partnerSharingList struct {
	Items []partnerSharing `json:"items"`
}

type organisationPathInput struct {
	OrganisationID string `path:"organisation_id" maxLength:"64" doc:"The organisation's ID."`
}

func registerMySharing(hapi huma.API, svc sharingService, orgs organisationNamer) {
	register(hapi, memberSelf, huma.Operation{
		OperationID: "list-my-partner-sharing",
		Method:      http.MethodGet,
		Path:        "/v1/me/partner-sharing",
		Summary:     "Organisations I share my membership with",
		Description: "The partner organisations that signed you up and that you agreed HPA may tell about your membership (and share your registrations for their events with).",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body partnerSharingList }, error) {
		list, err := svc.PartnerSharing(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body partnerSharingList }{Body: partnerSharingList{Items: []partnerSharing{}}}
		for _, sh := range list {
			o, err := orgs.GetOrganisation(ctx, sh.OrganisationID)
			if err != nil {
				return nil, err
			}
			out.Body.Items = append(out.Body.Items, partnerSharing{OrganisationID: sh.OrganisationID.String(), OrganisationName: o.Name, Since: sh.Since})
		}
		return out, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID:   "withdraw-my-partner-sharing",
		Method:        http.MethodDelete,
		Path:          "/v1/me/partner-sharing/{organisation_id}",
		Summary:       "Stop sharing my membership with an organisation",
		Description:   "Withdraws your partner-sharing consent for the organisation. It is told, by the reference it had for you and nothing more, so that it deletes what it holds on the strength of that consent; what had not reached it yet is not sent.",
		Tags:          []string{"Self-service"},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *organisationPathInput) (*struct{}, error) {
		org, err := parseID(in.OrganisationID, "organisation you share with")
		if err != nil {
			return nil, err
		}
		return nil, svc.WithdrawPartnerSharing(ctx, callerFrom(ctx).ID, org)
	})
}
