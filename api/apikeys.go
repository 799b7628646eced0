package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
)

type apiKey struct {
	ID                 string     `json:"id" format:"uuid"`
	OrganisationID     string     `json:"organisation_id" format:"uuid"`
	OrganisationName   string     `json:"organisation_name,omitempty" example:"Example NHS Foundation Trust" doc:"The organisation's name; given by GET /v1/auth/key, so a partner checking a key sees at once whose it is."`
	Name               string     `json:"name" example:"Trust website signup form"`
	Prefix             string     `json:"prefix" example:"hpa_live_k3v9x2mq8r1z" doc:"The key's first characters, to recognise it; the rest is never shown again."`
	Scopes             []string   `json:"scopes"`
	AllowedOrigins     []string   `json:"allowed_origins" doc:"Browser origins that may use the key; empty means any (server-side use)."`
	RateLimitPerMinute int        `json:"rate_limit_per_minute"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	RevokedAt          *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt         *time.Time `json:"last_used_at,omitempty" doc:"Updated at most once a minute."`
	CreatedAt          time.Time  `json:"created_at"`
}

func apiKeyBody(k *identity.APIKeyInfo) apiKey {
	scopes := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		scopes[i] = string(s)
	}
	return apiKey{ID: k.ID.String(), OrganisationID: k.OrganisationID.String(), Name: k.Name, Prefix: k.Prefix, Scopes: scopes,
		AllowedOrigins: k.AllowedOrigins, RateLimitPerMinute: k.RateLimitPerMinute, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt,
		LastUsedAt: k.LastUsedAt, CreatedAt: k.CreatedAt}
}

type createdAPIKey struct {
	Key    string `json:"key" doc:"The whole key. Shown once: store it in the partner's secret store. Send it as the X-API-Key header."`
	APIKey apiKey `json:"api_key"`
}

type createAPIKeyInput struct {
	Body struct {
		OrganisationID     string     `json:"organisation_id" format:"uuid"`
		Name               string     `json:"name" minLength:"1" maxLength:"100"`
		Scopes             []string   `json:"scopes" minItems:"1" maxItems:"5" uniqueItems:"true" enum:"members:signup,opportunities:write,stats:read,content:read,webhooks:manage"`
		AllowedOrigins     []string   `json:"allowed_origins,omitempty" maxItems:"20" doc:"Browser origins such as https://www.example.org."`
		RateLimitPerMinute int        `json:"rate_limit_per_minute,omitempty" minimum:"1" maximum:"100000" default:"600"`
		ExpiresAt          *time.Time `json:"expires_at,omitempty" doc:"When the key stops working; omit for no expiry."`
	}
}

type apiKeyIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"API key ID."`
}

type apiKeyListInput struct {
	OrganisationID string `query:"organisation_id" format:"uuid" doc:"Only this organisation's keys."`
}

type apiKeyList struct {
	Items []apiKey `json:"items"`
}

func registerAPIKeys(hapi huma.API, ids identityService) {
	register(hapi, keyWith(identity.Scopes...), huma.Operation{
		OperationID: "get-current-api-key",
		Method:      http.MethodGet,
		Path:        "/v1/auth/key",
		Summary:     "Describe the API key in use",
		Description: "Partners and scripts can check their key works and see its organisation (ID and name), scopes and rate limit.",
		Tags:        []string{"Auth"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body apiKey }, error) {
		k, err := ids.GetAPIKey(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		org, err := ids.GetOrganisation(ctx, k.OrganisationID)
		if err != nil {
			return nil, err
		}
		body := apiKeyBody(k)
		body.OrganisationName = org.Name
		return &struct{ Body apiKey }{Body: body}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "list-api-keys",
		Method:      http.MethodGet,
		Path:        "/v1/api-keys",
		Summary:     "List API keys",
		Description: "Keys are listed without their secrets, newest first, revoked ones included.",
		Tags:        []string{"API keys"},
	}, func(ctx context.Context, in *apiKeyListInput) (*struct{ Body apiKeyList }, error) {
		var org *uuid.UUID
		if in.OrganisationID != "" {
			id, err := uuidField(in.OrganisationID, "query.organisation_id")
			if err != nil {
				return nil, err
			}
			org = &id
		}
		keys, err := ids.ListAPIKeys(ctx, org)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body apiKeyList }{Body: apiKeyList{Items: make([]apiKey, len(keys))}}
		for i, k := range keys {
			out.Body.Items[i] = apiKeyBody(k)
		}
		return out, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID:   "create-api-key",
		Method:        http.MethodPost,
		Path:          "/v1/api-keys",
		Summary:       "Create an API key",
		Description:   "Creates a key for a partner organisation or a script. The response holds the whole key, shown this once; only its hash is stored.",
		Tags:          []string{"API keys"},
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createAPIKeyInput) (*struct{ Body createdAPIKey }, error) {
		org, err := uuidField(in.Body.OrganisationID, "body.organisation_id")
		if err != nil {
			return nil, err
		}
		scopes := make([]identity.Scope, len(in.Body.Scopes))
		for i, s := range in.Body.Scopes {
			scopes[i] = identity.Scope(s)
		}
		for _, o := range in.Body.AllowedOrigins {
			if !isOrigin(o) {
				return nil, invalidField("body.allowed_origins", "entries must be origins such as https://www.example.org")
			}
		}
		limit := in.Body.RateLimitPerMinute
		if limit == 0 {
			limit = 600
		}
		info, key, err := ids.CreateAPIKey(ctx, callerFrom(ctx).ID, identity.NewAPIKey{
			OrganisationID: org, Name: in.Body.Name, Scopes: scopes, AllowedOrigins: in.Body.AllowedOrigins,
			RateLimitPerMinute: limit, ExpiresAt: in.Body.ExpiresAt,
		})
		if err != nil {
			return nil, err
		}
		return &struct{ Body createdAPIKey }{Body: createdAPIKey{APIKey: apiKeyBody(info), Key: key}}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "get-api-key",
		Method:      http.MethodGet,
		Path:        "/v1/api-keys/{id}",
		Summary:     "Get an API key",
		Description: "One key, without its secret.",
		Tags:        []string{"API keys"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *apiKeyIDInput) (*struct{ Body apiKey }, error) {
		id, err := parseID(in.ID, "API key")
		if err != nil {
			return nil, err
		}
		k, err := ids.GetAPIKey(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body apiKey }{Body: apiKeyBody(k)}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "revoke-api-key",
		Method:      http.MethodDelete,
		Path:        "/v1/api-keys/{id}",
		Summary:     "Revoke an API key",
		Description: "The key stops working at once, on every API process. Revoking twice is harmless. The record stays for the audit trail.",
		Tags:        []string{"API keys"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *apiKeyIDInput) (*struct{ Body apiKey }, error) {
		id, err := parseID(in.ID, "API key")
		if err != nil {
			return nil, err
		}
		k, err := ids.RevokeAPIKey(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body apiKey }{Body: apiKeyBody(k)}, nil
	})
}
