package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/identity"
)

type organisation struct {
	ID           string    `json:"id" format:"uuid"`
	Name         string    `json:"name" example:"Example NHS Foundation Trust"`
	Website      string    `json:"website,omitempty" format:"uri"`
	ContactEmail string    `json:"contact_email,omitempty" format:"email" doc:"Who HPA writes to about the organisation's integration, such as a webhook endpoint disabled after persistent failure."`
	CreatedAt    time.Time `json:"created_at"`
}

func organisationBody(o *identity.Organisation) organisation {
	return organisation{ID: o.ID.String(), Name: o.Name, Website: o.Website, ContactEmail: o.ContactEmail, CreatedAt: o.CreatedAt}
}

type organisationInput struct {
	Body struct {
		Name         string `json:"name" minLength:"1" maxLength:"200" example:"Example NHS Foundation Trust"`
		Website      string `json:"website,omitempty" format:"uri" maxLength:"500" pattern:"^https?://" example:"https://www.example.nhs.uk"`
		ContactEmail string `json:"contact_email,omitempty" format:"email" maxLength:"254" example:"digital@example.nhs.uk" doc:"Who HPA writes to about the organisation's integration; without one, HPA's own staff are told."`
	}
}

type organisationIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Organisation ID."`
}

type organisationList struct {
	Items []organisation `json:"items"`
}

func registerOrganisations(hapi huma.API, ids identityService) {
	register(hapi, adminOnly, huma.Operation{
		OperationID: "list-organisations",
		Method:      http.MethodGet,
		Path:        "/v1/organisations",
		Summary:     "List partner organisations",
		Description: "Organisations that hold API keys and own what their keys create.",
		Tags:        []string{"API keys"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body organisationList }, error) {
		all, err := ids.ListOrganisations(ctx)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body organisationList }{Body: organisationList{Items: make([]organisation, len(all))}}
		for i, o := range all {
			out.Body.Items[i] = organisationBody(o)
		}
		return out, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID:   "create-organisation",
		Method:        http.MethodPost,
		Path:          "/v1/organisations",
		Summary:       "Register a partner organisation",
		Description:   "Names must be unique (case-insensitive).",
		Tags:          []string{"API keys"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *organisationInput) (*struct{ Body organisation }, error) {
		o, err := ids.CreateOrganisation(ctx, in.Body.Name, in.Body.Website, in.Body.ContactEmail)
		if err != nil {
			return nil, err
		}
		return &struct{ Body organisation }{Body: organisationBody(o)}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "get-organisation",
		Method:      http.MethodGet,
		Path:        "/v1/organisations/{id}",
		Summary:     "Get a partner organisation",
		Description: "One organisation.",
		Tags:        []string{"API keys"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *organisationIDInput) (*struct{ Body organisation }, error) {
		id, err := parseID(in.ID, "organisation")
		if err != nil {
			return nil, err
		}
		o, err := ids.GetOrganisation(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body organisation }{Body: organisationBody(o)}, nil
	})
}
