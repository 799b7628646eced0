package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/webhooks"
)

// webhookService is what the outgoing-webhook operations need.
type webhookService interface {
	Create(ctx context.Context, owner webhooks.Owner, in webhooks.NewEndpoint) (*webhooks.Endpoint, string, error)
	List(ctx context.Context, owner webhooks.Owner, organisationID *uuid.UUID, hpaOwn bool) ([]*webhooks.Endpoint, error)
	Get(ctx context.Context, owner webhooks.Owner, id uuid.UUID) (*webhooks.Endpoint, error)
	Update(ctx context.Context, owner webhooks.Owner, id uuid.UUID, c webhooks.EndpointChange) (*webhooks.Endpoint, error)
	Delete(ctx context.Context, owner webhooks.Owner, id uuid.UUID) error
	RotateSecret(ctx context.Context, owner webhooks.Owner, id uuid.UUID, overlap time.Duration) (*webhooks.Endpoint, string, error)
	SendTest(ctx context.Context, owner webhooks.Owner, id uuid.UUID) (string, error)
	Deliveries(ctx context.Context, owner webhooks.Owner, endpointID uuid.UUID, status string, before int64, limit int) ([]*webhooks.Delivery, error)
	Delivery(ctx context.Context, owner webhooks.Owner, endpointID uuid.UUID, id int64) (*webhooks.Delivery, error)
	Redeliver(ctx context.Context, owner webhooks.Owner, endpointID uuid.UUID, id int64) (*webhooks.Delivery, error)
}

// webhookManagers are admins (every endpoint) and partners' keys with
// webhooks:manage (their organisation's).
var webhookManagers = staffWith(identity.RoleAdmin).orKey(identity.ScopeWebhooksManage)

// ownerOf is whose endpoints the caller manages.
func ownerOf(ctx context.Context) webhooks.Owner {
	if c := callerFrom(ctx); c != nil && c.Kind == identity.APIKey {
		return webhooks.Owner{Organisation: &c.OrganisationID}
	}
	return webhooks.Owner{}
}

type webhookEndpoint struct {
	ID             string   `json:"id" format:"uuid"`
	OrganisationID string   `json:"organisation_id,omitempty" format:"uuid" doc:"Whose endpoint it is; absent for HPA's own tools."`
	URL            string   `json:"url" format:"uri"`
	Description    string   `json:"description"`
	Events         []string `json:"events" doc:"The event types it receives (see the contract's webhooks)."`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabled_reason,omitempty" enum:"manual,failing" doc:"manual: someone disabled it; failing: HPA did, after every attempt failed for about three days."`
	// The previous secret, after a rotation, still signs until then.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty" doc:"After a rotation, deliveries carry a signature by the previous secret too until this time."`
	FailingSince            *time.Time `json:"failing_since,omitempty" doc:"Every attempt has failed since this time."`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

func webhookEndpointBody(e *webhooks.Endpoint) webhookEndpoint {
	b := webhookEndpoint{ID: e.ID.String(), URL: e.URL, Description: e.Description, Events: nonNil(e.Events), Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, PreviousSecretExpiresAt: e.PreviousSecretExpiresAt, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if e.OrganisationID != nil {
		b.OrganisationID = e.OrganisationID.String()
	}
	return b
}

type webhookEndpointWithSecret struct {
	Secret   string          `json:"secret" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" doc:"The signing secret, shown this once: keep it in your secret store and verify every delivery with it."`
	Endpoint webhookEndpoint `json:"endpoint"`
}

type webhookEndpointIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Webhook endpoint ID."`
}

type createWebhookEndpointInput struct {
	Body struct {
		URL            string   `json:"url" format:"uri" minLength:"8" maxLength:"2000" example:"https://partner.example.org/hpa-webhooks" doc:"Where deliveries are POSTed: https only (http and private addresses only on a development server)."`
		Description    string   `json:"description,omitempty" maxLength:"500"`
		Events         []string `json:"events" minItems:"1" maxItems:"20" uniqueItems:"true" enum:"member.sharing_confirmed,member.sharing_withdrawn,registration.created,registration.cancelled,registration.promoted,opportunity.reviewed,outcome.published"`
		Enabled        *bool    `json:"enabled,omitempty" doc:"Default true."`
		OrganisationID string   `json:"organisation_id,omitempty" format:"uuid" doc:"Admins only: whose endpoint it is (omit for HPA's own tools). A partner's key always adds its own organisation's."`
	}
}

type updateWebhookEndpointInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Webhook endpoint ID."`
	Body struct {
		URL         *string  `json:"url,omitempty" format:"uri" minLength:"8" maxLength:"2000"`
		Description *string  `json:"description,omitempty" maxLength:"500"`
		Events      []string `json:"events,omitempty" minItems:"1" maxItems:"20" uniqueItems:"true" enum:"member.sharing_confirmed,member.sharing_withdrawn,registration.created,registration.cancelled,registration.promoted,opportunity.reviewed,outcome.published"`
		Enabled     *bool    `json:"enabled,omitempty" doc:"false stops deliveries; true starts them again (also after HPA disabled the endpoint for failing) and sends what is still pending."`
	}
}

type rotateWebhookSecretInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Webhook endpoint ID."`
	Body struct {
		OverlapSeconds *int `json:"overlap_seconds,omitempty" minimum:"0" maximum:"604800" doc:"How long the previous secret goes on signing too (default 86400, a day; 0 ends it at once)."`
	}
}

type webhookEndpointListInput struct {
	OrganisationID string `query:"organisation_id" format:"uuid" doc:"Admins only: one organisation's endpoints."`
}

type webhookEndpointList struct {
	Items []webhookEndpoint `json:"items"`
}

type webhookTestSent struct {
	MessageID string `json:"message_id" example:"msg_0f8e4c2a9b7d4e1f8a6c3b5d7e9f1a2c" doc:"The webhook-id the test delivery carries."`
}

func registerWebhookEndpoints(hapi huma.API, svc webhookService) {
	tags := []string{"Outgoing webhooks"}
	register(hapi, webhookManagers, huma.Operation{
		OperationID: "list-webhook-endpoints",
		Method:      http.MethodGet,
		Path:        "/v1/webhook-endpoints",
		Summary:     "List webhook endpoints",
		Description: "A partner's key sees its organisation's endpoints; admins see every endpoint, or one organisation's.",
		Tags:        tags,
	}, func(ctx context.Context, in *webhookEndpointListInput) (*struct{ Body webhookEndpointList }, error) {
		var org *uuid.UUID
		if in.OrganisationID != "" {
			id, err := uuidField(in.OrganisationID, "query.organisation_id")
			if err != nil {
				return nil, err
			}
			org = &id
		}
		list, err := svc.List(ctx, ownerOf(ctx), org, false)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body webhookEndpointList }{Body: webhookEndpointList{Items: make([]webhookEndpoint, len(list))}}
		for i, e := range list {
			out.Body.Items[i] = webhookEndpointBody(e)
		}
		return out, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID:   "create-webhook-endpoint",
		Method:        http.MethodPost,
		Path:          "/v1/webhook-endpoints",
		Summary:       "Add a webhook endpoint",
		Description:   "Registers a URL to receive the chosen events, signed with a new secret that the answer shows this once. See docs/partners.md for verifying deliveries.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createWebhookEndpointInput) (*struct{ Body webhookEndpointWithSecret }, error) {
		ne := webhooks.NewEndpoint{URL: in.Body.URL, Description: in.Body.Description, Events: in.Body.Events, Enabled: in.Body.Enabled == nil || *in.Body.Enabled}
		owner := ownerOf(ctx)
		if in.Body.OrganisationID != "" {
			org, err := uuidField(in.Body.OrganisationID, "body.organisation_id")
			if err != nil {
				return nil, err
			}
			if owner.Organisation != nil && org != *owner.Organisation {
				return nil, invalidField("body.organisation_id", "a key adds endpoints for its own organisation only")
			}
			ne.OrganisationID = &org
		}
		e, secret, err := svc.Create(ctx, owner, ne)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookEndpointWithSecret }{Body: webhookEndpointWithSecret{Secret: secret, Endpoint: webhookEndpointBody(e)}}, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID: "get-webhook-endpoint",
		Method:      http.MethodGet,
		Path:        "/v1/webhook-endpoints/{id}",
		Summary:     "Get a webhook endpoint",
		Description: "One endpoint, without its secret.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *webhookEndpointIDInput) (*struct{ Body webhookEndpoint }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		e, err := svc.Get(ctx, ownerOf(ctx), id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookEndpoint }{Body: webhookEndpointBody(e)}, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID: "update-webhook-endpoint",
		Method:      http.MethodPatch,
		Path:        "/v1/webhook-endpoints/{id}",
		Summary:     "Change a webhook endpoint",
		Description: "Changes the fields sent; enables or disables it.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *updateWebhookEndpointInput) (*struct{ Body webhookEndpoint }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		e, err := svc.Update(ctx, ownerOf(ctx), id, webhooks.EndpointChange{URL: in.Body.URL, Description: in.Body.Description, Events: in.Body.Events, Enabled: in.Body.Enabled})
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookEndpoint }{Body: webhookEndpointBody(e)}, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID:   "delete-webhook-endpoint",
		Method:        http.MethodDelete,
		Path:          "/v1/webhook-endpoints/{id}",
		Summary:       "Delete a webhook endpoint",
		Description:   "Stops deliveries for good and deletes the endpoint's delivery log.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *webhookEndpointIDInput) (*struct{}, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		return nil, svc.Delete(ctx, ownerOf(ctx), id)
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID: "rotate-webhook-secret",
		Method:      http.MethodPost,
		Path:        "/v1/webhook-endpoints/{id}/rotate-secret",
		Summary:     "Rotate a webhook endpoint's secret",
		Description: "Makes a new signing secret, shown this once. During the overlap every delivery is signed by both secrets (two space-separated signatures in webhook-signature), so the receiver can switch to the new one at its own pace.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *rotateWebhookSecretInput) (*struct{ Body webhookEndpointWithSecret }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		overlap := 24 * time.Hour
		if in.Body.OverlapSeconds != nil {
			overlap = time.Duration(*in.Body.OverlapSeconds) * time.Second
		}
		e, secret, err := svc.RotateSecret(ctx, ownerOf(ctx), id, overlap)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookEndpointWithSecret }{Body: webhookEndpointWithSecret{Secret: secret, Endpoint: webhookEndpointBody(e)}}, nil
	})

	register(hapi, webhookManagers, huma.Operation{
		OperationID:   "send-webhook-test",
		Method:        http.MethodPost,
		Path:          "/v1/webhook-endpoints/{id}/test",
		Summary:       "Send a test event",
		Description:   "Sends the endpoint a webhook.test event, signed and retried like any other; follow it in the delivery log.",
		Tags:          tags,
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *webhookEndpointIDInput) (*struct{ Body webhookTestSent }, error) {
		id, err := parseID(in.ID, "webhook endpoint")
		if err != nil {
			return nil, err
		}
		msg, err := svc.SendTest(ctx, ownerOf(ctx), id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body webhookTestSent }{Body: webhookTestSent{MessageID: msg}}, nil
	})
	registerWebhookDeliveries(hapi, svc, tags)
}
