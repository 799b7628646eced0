package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
)

type audienceService interface {
	Audiences(ctx context.Context) (*content.AudienceList, error)
	AudienceForEditing(ctx context.Context, key string) (*content.Audience, error)
	CreateAudience(ctx context.Context, f content.AudienceFields) (*content.Audience, error)
	UpdateAudience(ctx context.Context, key string, pre content.Precondition, f content.AudienceFields) (*content.Audience, error)
	DeleteAudience(ctx context.Context, key string, pre content.Precondition) error
}

type publicAudience struct {
	Key      string `json:"key" example:"nhs-leader" doc:"Stable identifier; enquiries name their audience by it."`
	Name     string `json:"name" example:"NHS leader"`
	Message  string `json:"message" doc:"HPA's short message to this audience (plain text)."`
	PageSlug string `json:"page_slug,omitempty" example:"for-nhs-leaders" doc:"A page for this audience, when there is a public one."`
}

func publicAudienceBody(a content.Audience) publicAudience {
	return publicAudience{Key: a.Key, Name: a.Name, Message: a.Message, PageSlug: a.PageSlug}
}

type audienceList struct {
	Items []publicAudience `json:"items"`
}

type editableAudience struct {
	ID         string    `json:"id" format:"uuid"`
	Key        string    `json:"key" example:"nhs-leader"`
	Name       string    `json:"name" example:"NHS leader"`
	Message    string    `json:"message"`
	PageSlug   string    `json:"page_slug,omitempty" doc:"The linked page, whatever its status."`
	PagePublic bool      `json:"page_public" doc:"Whether the linked page is public (and so shown)."`
	Position   int32     `json:"position" doc:"Lower comes first."`
	Version    int32     `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type editableAudienceOutput struct {
	ETag string `header:"ETag" doc:"Send it in If-Match to update or delete this version."`
	Body editableAudience
}

func editableAudienceOut(a *content.Audience) *editableAudienceOutput {
	return &editableAudienceOutput{ETag: a.ETag(), Body: editableAudience{ID: a.ID.String(), Key: a.Key, Name: a.Name, Message: a.Message,
		PageSlug: a.PageSlug, PagePublic: a.PagePublic, Position: a.Position, Version: a.Version, UpdatedAt: a.UpdatedAt}}
}

// AudienceKeyPath names an audience in the path (exported so huma sees
// its field when it is embedded).
type AudienceKeyPath struct {
	Key string `path:"key" maxLength:"60" example:"nhs-leader" doc:"The audience's key."`
}

type audienceFieldsBody struct {
	Key      *string `json:"key,omitempty" minLength:"1" maxLength:"60" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" example:"nhs-leader"`
	Name     *string `json:"name,omitempty" minLength:"1" maxLength:"100" example:"NHS leader"`
	Message  *string `json:"message,omitempty" maxLength:"1000"`
	PageSlug *string `json:"page_slug,omitempty" maxLength:"100" doc:"Link a page (any status; shown once public); empty removes the link."`
	Position *int32  `json:"position,omitempty" minimum:"0" maximum:"10000" doc:"Lower comes first; new audiences go last."`
}

func (b audienceFieldsBody) fields() content.AudienceFields {
	return content.AudienceFields{Key: b.Key, Name: b.Name, Message: b.Message, PageSlug: b.PageSlug, Position: b.Position}
}

type audienceCreateInput struct {
	Body audienceFieldsBody
}

type audienceUpdateInput struct {
	AudienceKeyPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The audience's ETag as you read it. Required."`
	Body    audienceFieldsBody
}

type audienceDeleteInput struct {
	AudienceKeyPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The audience's ETag as you read it. Required."`
}

func registerAudiences(hapi huma.API, audiences contentService) {
	encoded := newEncodedCache()
	tags := []string{"Audiences"}
	register(hapi, public, huma.Operation{
		OperationID: "list-audiences",
		Method:      http.MethodGet,
		Path:        "/v1/audiences",
		Summary:     "List the audiences HPA speaks to",
		Description: "Harmed patients and families, healthcare professionals, NHS leaders… in order, each with its message and, when there is a public one, its page. Supports `If-None-Match`.",
		Tags:        tags,
		Responses:   encodedResponses[audienceList](hapi, "The audiences."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		list, err := audiences.Audiences(ctx)
		if err != nil {
			return nil, err
		}
		return publicDocument(in.IfNoneMatch, list.Version, audiences.NextChange(), func() []byte {
			return encoded.get(list.Version, func() any {
				body := audienceList{Items: make([]publicAudience, len(list.Items))}
				for i, a := range list.Items {
					body.Items[i] = publicAudienceBody(a)
				}
				return body
			})
		})
	})

	register(hapi, editors, huma.Operation{
		OperationID: "get-audience",
		Method:      http.MethodGet,
		Path:        "/v1/audiences/{key}",
		Summary:     "Get an audience, for editing",
		Description: "One audience with its page link whatever the page's status, and the ETag an update needs.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *AudienceKeyPath) (*editableAudienceOutput, error) {
		a, err := audiences.AudienceForEditing(ctx, in.Key)
		if err != nil {
			return nil, err
		}
		return editableAudienceOut(a), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID:   "create-audience",
		Method:        http.MethodPost,
		Path:          "/v1/audiences",
		Summary:       "Add an audience",
		Description:   "key and name are required. A key already in use is 409 `audience-key-taken`.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *audienceCreateInput) (*editableAudienceOutput, error) {
		if in.Body.Key == nil || in.Body.Name == nil {
			return nil, invalidField("body", "key and name are required")
		}
		a, err := audiences.CreateAudience(ctx, in.Body.fields())
		if err != nil {
			return nil, err
		}
		return editableAudienceOut(a), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "update-audience",
		Method:      http.MethodPatch,
		Path:        "/v1/audiences/{key}",
		Summary:     "Change an audience",
		Description: "Only the fields sent change. Needs the audience's `ETag` in `If-Match` (428 without it, 412 `stale-version` if someone changed it since).",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *audienceUpdateInput) (*editableAudienceOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		a, err := audiences.UpdateAudience(ctx, in.Key, pre, in.Body.fields())
		if err != nil {
			return nil, err
		}
		return editableAudienceOut(a), nil
	})

	register(hapi, editors, huma.Operation{
		OperationID:   "delete-audience",
		Method:        http.MethodDelete,
		Path:          "/v1/audiences/{key}",
		Summary:       "Remove an audience",
		Description:   "Needs the audience's `ETag` in `If-Match`. Enquiries that named the audience keep its key.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *audienceDeleteInput) (*struct{}, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		return nil, audiences.DeleteAudience(ctx, in.Key, pre)
	})
}
