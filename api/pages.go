package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// contentService is what the page, audience, navigation and search
// operations need.
type contentService interface {
	PublishedPage(ctx context.Context, slug string) (*content.Page, error)
	PublishedPages(ctx context.Context, after *content.PageCursor, limit int) (*content.PageList, error)
	NextChange() time.Time
	Now() time.Time
	PageForEditing(ctx context.Context, slug string) (*content.Page, error)
	AllPages(ctx context.Context, status content.Status, after *content.ListingCursor, limit int) ([]content.PageListing, *content.ListingCursor, error)
	CreatePage(ctx context.Context, author uuid.UUID, f content.PageFields) (*content.Page, error)
	UpdatePage(ctx context.Context, slug string, pre content.Precondition, editor uuid.UUID, f content.PageFields) (*content.Page, error)
	DeletePage(ctx context.Context, slug string, pre content.Precondition) error
	Revisions(ctx context.Context, slug string, before int32, limit int) ([]content.RevisionInfo, error)
	Revision(ctx context.Context, slug string, number int32) (*content.Revision, error)
	RestoreRevision(ctx context.Context, slug string, number int32, pre content.Precondition, editor uuid.UUID) (*content.Page, error)
	audienceService
	navigationService
	Search(ctx context.Context, query string, offset, limit int) ([]content.SearchHit, error)
}

type heading struct {
	Level  int    `json:"level" minimum:"1" maximum:"6" example:"2"`
	Text   string `json:"text" example:"Who we are"`
	Anchor string `json:"anchor" example:"who-we-are" doc:"The id of the heading's element in html: link to it as #anchor."`
}

// publicPage is a published page as the site shows it.
type publicPage struct {
	Slug            string    `json:"slug" example:"about-us"`
	Title           string    `json:"title" example:"About us"`
	Summary         string    `json:"summary" doc:"A sentence or two for lists and previews (plain text)."`
	HTML            string    `json:"html" doc:"The body rendered from Markdown and sanitised: safe to insert into a page as it is. Headings carry id anchors."`
	Headings        []heading `json:"headings" doc:"The body's headings in order, for a table of contents."`
	MetaDescription string    `json:"meta_description,omitempty" doc:"For <meta name=description>; fall back to summary when absent."`
	SocialImageURL  string    `json:"social_image_url,omitempty" format:"uri" doc:"For og:image."`
	PublishedAt     time.Time `json:"published_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func headingsBody(hs []content.Heading) []heading {
	out := make([]heading, len(hs))
	for i, h := range hs {
		out[i] = heading{Level: h.Level, Text: h.Text, Anchor: h.Anchor}
	}
	return out
}

func publicPageBody(p *content.Page) publicPage {
	body := publicPage{Slug: p.Slug, Title: p.Title, Summary: p.Summary, HTML: p.BodyHTML, Headings: headingsBody(p.Headings),
		MetaDescription: p.MetaDescription, SocialImageURL: p.SocialImageURL, UpdatedAt: p.UpdatedAt}
	if p.PublishAt != nil {
		body.PublishedAt = *p.PublishAt
	}
	return body
}

type pageSummary struct {
	Slug            string    `json:"slug" example:"about-us"`
	Title           string    `json:"title" example:"About us"`
	Summary         string    `json:"summary"`
	MetaDescription string    `json:"meta_description,omitempty"`
	SocialImageURL  string    `json:"social_image_url,omitempty" format:"uri"`
	PublishedAt     time.Time `json:"published_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

type pageList struct {
	Items      []pageSummary `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

type pageListInput struct {
	PageQuery
	ConditionalGet
}

// PageSlugPath names a page in the path (exported so huma sees its field
// when it is embedded).
type PageSlugPath struct {
	Slug string `path:"slug" maxLength:"100" example:"about-us" doc:"The page's slug."`
}

type pageGetInput struct {
	PageSlugPath
	ConditionalGet
}

// requirePrecondition reads an update's If-Match, which is mandatory: an
// update without it could overwrite a colleague's edit unseen.
func requirePrecondition(ifMatch string) (content.Precondition, error) {
	if strings.TrimSpace(ifMatch) == "" {
		return content.Precondition{}, hpa.Errorf(hpa.EPRECONDITIONREQUIRED,
			"send If-Match with the ETag of the version you read, so a colleague's edit is never overwritten unseen")
	}
	return content.ParsePrecondition(ifMatch), nil
}

// callerID is the signed-in staff member's ID (uuid.Nil for other callers).
func callerID(ctx context.Context) uuid.UUID {
	if c := callerFrom(ctx); c != nil {
		return c.ID
	}
	return uuid.Nil
}

func registerPages(hapi huma.API, pages contentService) {
	encoded := newEncodedCache()
	register(hapi, public, huma.Operation{
		OperationID: "list-pages",
		Method:      http.MethodGet,
		Path:        "/v1/pages",
		Summary:     "List published pages",
		Description: "Published pages, newest first, without their bodies; cursor-paginated. Scheduled pages appear from their publish time. Supports `If-None-Match`.",
		Tags:        []string{"Pages"},
		Responses:   encodedResponses[pageList](hapi, "One page of the list."),
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *pageListInput) (*encodedOutput, error) {
		var after *content.PageCursor
		if in.Cursor != "" {
			after = &content.PageCursor{}
			if err := decodeCursor(in.Cursor, after); err != nil {
				return nil, err
			}
		}
		list, err := pages.PublishedPages(ctx, after, in.Limit)
		if err != nil {
			return nil, err
		}
		return publicDocument(in.IfNoneMatch, list.Version, pages.NextChange(), func() []byte {
			return encoded.get("list:"+list.Version, func() any {
				body := pageList{Items: make([]pageSummary, len(list.Items))}
				for i, p := range list.Items {
					body.Items[i] = pageSummary{Slug: p.Slug, Title: p.Title, Summary: p.Summary, MetaDescription: p.MetaDescription,
						SocialImageURL: p.SocialImageURL, PublishedAt: p.PublishedAt, UpdatedAt: p.UpdatedAt}
				}
				if list.Next != nil {
					body.NextCursor = encodeCursor(list.Next)
				}
				return body
			})
		})
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-page",
		Method:      http.MethodGet,
		Path:        "/v1/pages/{slug}",
		Summary:     "Get a published page",
		Description: "A published page with its body as sanitised HTML and its headings. Drafts, archived pages and pages scheduled for later are 404 here (editors preview them with `GET /v1/pages/{slug}/preview`). " +
			"Send `If-None-Match` with a previous `ETag` to get `304 Not Modified` when nothing changed.",
		Tags:      []string{"Pages"},
		Errors:    []int{http.StatusNotFound},
		Responses: encodedResponses[publicPage](hapi, "The page."),
		Metadata:  map[string]any{cacheableKey: true},
	}, func(ctx context.Context, in *pageGetInput) (*encodedOutput, error) {
		p, err := pages.PublishedPage(ctx, in.Slug)
		if err != nil {
			return nil, err
		}
		return publicDocument(in.IfNoneMatch, p.PublicVersion, pages.NextChange(), func() []byte {
			return encoded.get(p.PublicVersion, func() any { return publicPageBody(p) })
		})
	})

	registerPageEditing(hapi, pages)
	registerPageRevisions(hapi, pages)
}
