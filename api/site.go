package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
)

type siteReader interface {
	Site(ctx context.Context) (*content.Site, error)
}

// siteProfile is the organisation's public profile.
type siteProfile struct {
	Name             string    `json:"name" example:"Harmed Patients Alliance" doc:"The organisation's name."`
	ShortName        string    `json:"short_name" example:"HPA" doc:"The short name used in running text."`
	Tagline          string    `json:"tagline" example:"Restorative Healing after Healthcare Harm" doc:"The line shown under the name."`
	MissionStatement string    `json:"mission_statement" example:"To work collaboratively towards a future where harmed patients and families are respected and cared for…" doc:"The mission statement, without surrounding quotation marks."`
	Description      string    `json:"description" example:"We are a group working to increase understanding of the experience of being harmed by healthcare…" doc:"A short description of who HPA is."`
	ContactEmail     string    `json:"contact_email,omitempty" format:"email" example:"hello@example.org" doc:"Where to write to HPA; absent until configured."`
	Charity          charity   `json:"charity" doc:"Registration details; fields are absent until known."`
	UpdatedAt        time.Time `json:"updated_at" doc:"When the profile last changed."`
}

type charity struct {
	Number       string `json:"number,omitempty" example:"1234567" doc:"Registered charity number."`
	RegisteredIn string `json:"registered_in,omitempty" example:"England and Wales" doc:"Where the charity is registered."`
}

type conditionalGetInput struct {
	IfNoneMatch string `header:"If-None-Match" maxLength:"1024" doc:"An ETag from an earlier response; if it still matches, the answer is 304 with no body."`
}

// publicCacheControl lets browsers and CDNs keep public content briefly and
// revalidate cheaply with If-None-Match.
const publicCacheControl = "public, max-age=60, stale-while-revalidate=300"

func registerSite(hapi huma.API, site siteReader) {
	encoded := newEncodedCache()
	register(hapi, public, huma.Operation{
		OperationID: "get-site",
		Method:      http.MethodGet,
		Path:        "/v1/site",
		Summary:     "Get the organisation's public profile",
		Description: "The name, mission statement and description a home page shows. Send `If-None-Match` with a previous `ETag` to get `304 Not Modified` when nothing changed.",
		Tags:        []string{"Site"},
		Errors:      []int{http.StatusNotFound},
		Responses:   encodedResponses[siteProfile](hapi, "The organisation's public profile."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *conditionalGetInput) (*encodedOutput, error) {
		s, err := site.Site(ctx)
		if err != nil {
			return nil, err
		}
		etag := strongETag(s.Version)
		if err := checkNotModified(in.IfNoneMatch, etag, publicCacheControl); err != nil {
			return nil, err
		}
		body := encoded.get(s.Version, func() any {
			return siteProfile{
				Name:             s.Name,
				ShortName:        s.ShortName,
				Tagline:          s.Tagline,
				MissionStatement: s.MissionStatement,
				Description:      s.Description,
				ContactEmail:     s.ContactEmail,
				Charity:          charity{Number: s.CharityNumber, RegisteredIn: s.RegisteredIn},
				UpdatedAt:        s.UpdatedAt,
			}
		})
		return newEncodedOutput(etag, body), nil
	})
}
