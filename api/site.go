package api

import (
	"context"
	"net/http"
	"net/mail"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/identity"
)

type siteReader interface {
	Site(ctx context.Context) (*content.Site, error)
	UpdateSite(ctx context.Context, pre content.Precondition, u content.SiteUpdate) (*content.Site, error)
	// NextChange is when public content next changes by itself (a
	// scheduled page going live); zero if nothing is scheduled.
	NextChange() time.Time
}

// siteProfile is everything a home page renders, in one document.
type siteProfile struct {
	Name                 string                `json:"name" example:"Harmed Patients Alliance" doc:"The organisation's name."`
	ShortName            string                `json:"short_name" example:"HPA" doc:"The short name used in running text."`
	Tagline              string                `json:"tagline" example:"Restorative Healing after Healthcare Harm" doc:"The line shown under the name."`
	MissionStatement     string                `json:"mission_statement" example:"To work collaboratively towards a future where harmed patients and families are respected and cared for…" doc:"The mission statement, without surrounding quotation marks."`
	Description          string                `json:"description" example:"We are a group working to increase understanding of the experience of being harmed by healthcare…" doc:"A short description of who HPA is."`
	RestorativeQuestions []string              `json:"restorative_questions" example:"[\"Who has been affected?\",\"What do they need now?\",\"Who has what obligations in relation to those needs?\"]" doc:"The questions HPA says must be asked when patients are harmed, in order."`
	AudiencesIntro       string                `json:"audiences_intro" example:"Whether you are a Harmed patient/family, Healthcare professional, NHS leader… thank you for visiting our site." doc:"The paragraph addressed to every audience at once."`
	Audiences            []publicAudience      `json:"audiences" doc:"The audiences HPA speaks to, in order (as GET /v1/audiences)."`
	CallsToAction        []publicCallToAction  `json:"calls_to_action" doc:"Join, donate, get in touch…, in order."`
	Menus                navigation            `json:"menus" doc:"The menus, each an ordered list, as GET /v1/navigation gives them; entries leading to pages that are not public are left out."`
	Navigation           map[string][]navEntry `json:"navigation" deprecated:"true" doc:"The same menus as a map from the menu's name (header, footer). Deprecated since 1.2.0: read menus; navigation goes in 2.0.0."`
	ContactEmail         string                `json:"contact_email,omitempty" format:"email" example:"hello@example.org" doc:"Where to write to HPA; absent until configured."`
	Charity              charity               `json:"charity" doc:"Registration details; fields are absent until known."`
	UpdatedAt            time.Time             `json:"updated_at" doc:"When the profile last changed."`
}

type charity struct {
	Number       string `json:"number,omitempty" example:"1234567" doc:"Registered charity number."`
	RegisteredIn string `json:"registered_in,omitempty" example:"England and Wales" doc:"Where the charity is registered."`
}

type publicCallToAction struct {
	Key         string `json:"key" example:"join" doc:"Stable identifier."`
	Title       string `json:"title" example:"Join us as a member"`
	Text        string `json:"text" doc:"The invitation, as plain text."`
	ButtonLabel string `json:"button_label" example:"Join us"`
	PageSlug    string `json:"page_slug,omitempty" example:"join" doc:"The page the button leads to (GET /v1/pages/{slug}); absent if it leads to a URL or nowhere."`
	URL         string `json:"url,omitempty" example:"https://example.org/donate" doc:"Where the button leads, when it is not a page."`
}

type navEntry struct {
	Label    string `json:"label" example:"About us"`
	PageSlug string `json:"page_slug,omitempty" example:"about-us" doc:"The page the entry leads to; absent for URL entries."`
	URL      string `json:"url,omitempty" example:"https://example.org" doc:"Where the entry leads, when it is not a page: an absolute URL or a path on the site."`
}

func siteBody(s *content.Site) siteProfile {
	body := siteProfile{
		Name: s.Name, ShortName: s.ShortName, Tagline: s.Tagline, MissionStatement: s.MissionStatement, Description: s.Description,
		RestorativeQuestions: s.RestorativeQuestions, AudiencesIntro: s.AudiencesIntro, ContactEmail: s.ContactEmail,
		Charity: charity{Number: s.CharityNumber, RegisteredIn: s.RegisteredIn}, UpdatedAt: s.UpdatedAt,
		Audiences:     make([]publicAudience, len(s.Audiences)),
		CallsToAction: make([]publicCallToAction, len(s.CallsToAction)),
		Navigation:    navigationBody(s.Navigation),
	}
	body.Menus = menusBody(body.Navigation)
	for i, a := range s.Audiences {
		body.Audiences[i] = publicAudienceBody(a)
	}
	for i, c := range s.CallsToAction {
		body.CallsToAction[i] = publicCallToAction{Key: c.Key, Title: c.Title, Text: c.Text, ButtonLabel: c.ButtonLabel, PageSlug: c.PageSlug, URL: c.URL}
	}
	return body
}

func navigationBody(menus map[content.Menu][]content.NavigationItem) map[string][]navEntry {
	out := make(map[string][]navEntry, len(menus))
	for menu, items := range menus {
		entries := make([]navEntry, len(items))
		for i, it := range items {
			entries[i] = navEntry{Label: it.Label, PageSlug: it.PageSlug, URL: it.URL}
		}
		out[string(menu)] = entries
	}
	return out
}

// menusBody names the menus of a navigation map, each a list (empty when
// the map lacks it).
func menusBody(menus map[string][]navEntry) navigation {
	nav := navigation{Header: menus[string(content.MenuHeader)], Footer: menus[string(content.MenuFooter)]}
	if nav.Header == nil {
		nav.Header = []navEntry{}
	}
	if nav.Footer == nil {
		nav.Footer = []navEntry{}
	}
	return nav
}

// ConditionalGet is the If-None-Match input of public reads (exported so
// huma sees its field when it is embedded).
type ConditionalGet struct {
	IfNoneMatch string `header:"If-None-Match" maxLength:"1024" doc:"An ETag from an earlier response; if it still matches, the answer is 304 with no body."`
}

// publicCacheControl lets browsers and CDNs keep public content briefly and
// revalidate cheaply with If-None-Match.
const publicCacheControl = "public, max-age=60, stale-while-revalidate=300"

// publicCacheControlUntil is publicCacheControl, shortened so no cache
// keeps content past next, when a scheduled page goes live.
func publicCacheControlUntil(next time.Time) string {
	if next.IsZero() {
		return publicCacheControl
	}
	left := int(time.Until(next).Seconds())
	if left >= 60 {
		return publicCacheControl
	}
	return "public, max-age=" + strconv.Itoa(max(left, 0)) + ", must-revalidate"
}

// publicDocument answers a conditional GET of public content whose
// representation version identifies: 304 when If-None-Match names it,
// else the encoded body. Caches may keep it no later than the next
// scheduled publication.
//
// The 304 is an output rather than huma's error: revalidation is the
// commonest request for hot content and must stay cheap.
func publicDocument(ifNoneMatch, version string, nextChange time.Time, body func() []byte) (*encodedOutput, error) {
	etag, cacheControl := strongETag(version), publicCacheControlUntil(nextChange)
	if ifNoneMatch != "" && noneMatch(ifNoneMatch, etag) {
		return &encodedOutput{Status: http.StatusNotModified, ETag: etag, CacheControl: cacheControl}, nil
	}
	out := newEncodedOutput(etag, body())
	out.CacheControl = cacheControl
	return out, nil
}

type siteUpdateInput struct {
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The ETag of GET /v1/site as you read it. Required: if the site changed since, the answer is 412."`
	Body    struct {
		Name                 *string  `json:"name,omitempty" minLength:"1" maxLength:"200"`
		ShortName            *string  `json:"short_name,omitempty" minLength:"1" maxLength:"40"`
		Tagline              *string  `json:"tagline,omitempty" maxLength:"300"`
		MissionStatement     *string  `json:"mission_statement,omitempty" maxLength:"2000"`
		Description          *string  `json:"description,omitempty" maxLength:"4000"`
		RestorativeQuestions []string `json:"restorative_questions,omitempty" maxItems:"10" doc:"Replaces the list; each at most 300 characters."`
		AudiencesIntro       *string  `json:"audiences_intro,omitempty" maxLength:"4000"`
		ContactEmail         *string  `json:"contact_email,omitempty" maxLength:"254" doc:"An email address; empty removes it."`
		CharityNumber        *string  `json:"charity_number,omitempty" maxLength:"40" doc:"Empty removes it."`
		RegisteredIn         *string  `json:"registered_in,omitempty" maxLength:"100" doc:"Empty removes it."`
	}
}

type siteOutput struct {
	ETag string `header:"ETag" doc:"The new validator of GET /v1/site."`
	Body siteProfile
}

var editors = staffWith(identity.RoleEditor)

func registerSite(hapi huma.API, site siteReader) {
	encoded := newEncodedCache()
	register(hapi, public, huma.Operation{
		OperationID: "get-site",
		Method:      http.MethodGet,
		Path:        "/v1/site",
		Summary:     "Get everything a home page shows",
		Description: "The organisation's profile and mission statement, the restorative questions, the audiences with their messages, the calls to action and the navigation menus, in one document. " +
			"Links to pages that are not public are left out. Send `If-None-Match` with a previous `ETag` to get `304 Not Modified` when nothing changed.",
		Tags:      []string{"Site"},
		Errors:    []int{http.StatusNotFound},
		Responses: encodedResponses[siteProfile](hapi, "The public site document."),
		Metadata:  map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		s, err := site.Site(ctx)
		if err != nil {
			return nil, err
		}
		return publicDocument(in.IfNoneMatch, s.Version, site.NextChange(), func() []byte {
			return encoded.get(s.Version, func() any { return siteBody(s) })
		})
	})

	register(hapi, editors, huma.Operation{
		OperationID: "update-site",
		Method:      http.MethodPatch,
		Path:        "/v1/site",
		Summary:     "Change the organisation's profile and mission",
		Description: "Only the fields sent change. Send the `ETag` of `GET /v1/site` in `If-Match`: without it the answer is 428, and if anything in the site document changed since you read it, 412 (`stale-version`). " +
			"Audiences, calls to action and menus have their own operations.",
		Tags:   []string{"Site"},
		Errors: []int{http.StatusNotFound, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *siteUpdateInput) (*siteOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		b := in.Body
		if b.ContactEmail != nil && *b.ContactEmail != "" {
			if a, err := mail.ParseAddress(*b.ContactEmail); err != nil || a.Address != *b.ContactEmail {
				return nil, invalidField("body.contact_email", "must be a bare email address such as hello@example.org, or empty")
			}
		}
		for _, q := range b.RestorativeQuestions {
			if q == "" || len([]rune(q)) > 300 {
				return nil, invalidField("body.restorative_questions", "each question must be 1 to 300 characters")
			}
		}
		s, err := site.UpdateSite(ctx, pre, content.SiteUpdate{Name: b.Name, ShortName: b.ShortName, Tagline: b.Tagline,
			MissionStatement: b.MissionStatement, Description: b.Description, RestorativeQuestions: b.RestorativeQuestions,
			AudiencesIntro: b.AudiencesIntro, ContactEmail: b.ContactEmail, CharityNumber: b.CharityNumber, RegisteredIn: b.RegisteredIn})
		if err != nil {
			return nil, err
		}
		return &siteOutput{ETag: strongETag(s.Version), Body: siteBody(s)}, nil
	})
}
