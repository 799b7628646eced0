package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
)

// editablePage is a page as editors see it: any status, the Markdown they
// wrote, the rendering the public would get (the preview) and the version
// an update must name.
type editablePage struct {
	ID              string     `json:"id" format:"uuid"`
	Slug            string     `json:"slug" example:"about-us"`
	Title           string     `json:"title" example:"About us"`
	Summary         string     `json:"summary"`
	Body            string     `json:"body" doc:"The body in Markdown, exactly as saved."`
	HTML            string     `json:"html" doc:"The preview: the body as the public will get it, sanitised."`
	Headings        []heading  `json:"headings"`
	MetaDescription string     `json:"meta_description"`
	SocialImageURL  string     `json:"social_image_url,omitempty" format:"uri"`
	Status          string     `json:"status" enum:"draft,scheduled,published,archived" doc:"A scheduled page is reported as published once its publish_at has passed."`
	PublishAt       *time.Time `json:"publish_at,omitempty" doc:"When the page went or goes public."`
	Public          bool       `json:"public" doc:"Whether GET /v1/pages/{slug} shows the page now."`
	Version         int32      `json:"version" example:"3" doc:"Increments with every save; each save is a revision."`
	AuthorID        string     `json:"author_id,omitempty" format:"uuid"`
	UpdatedBy       string     `json:"updated_by,omitempty" format:"uuid"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

func editablePageBody(p *content.Page, now time.Time) editablePage {
	status := p.StatusAt(now)
	return editablePage{ID: p.ID.String(), Slug: p.Slug, Title: p.Title, Summary: p.Summary, Body: p.BodyMarkdown, HTML: p.BodyHTML,
		Headings: headingsBody(p.Headings), MetaDescription: p.MetaDescription, SocialImageURL: p.SocialImageURL, Status: string(status),
		PublishAt: p.PublishAt, Public: status == content.StatusPublished, Version: p.Version, AuthorID: idString(p.AuthorID),
		UpdatedBy: idString(p.UpdatedBy), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type editablePageOutput struct {
	ETag string `header:"ETag" doc:"Send it in If-Match to update, delete or restore this version."`
	Body editablePage
}

type pageCreateInput struct {
	Body struct {
		Slug            string     `json:"slug" minLength:"1" maxLength:"100" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" example:"about-us" doc:"Lower-case words joined by hyphens; unique; some words (all, new, preview, search…) are reserved."`
		Title           string     `json:"title" minLength:"1" maxLength:"200" example:"About us"`
		Summary         string     `json:"summary,omitempty" maxLength:"1000"`
		Body            string     `json:"body,omitempty" maxLength:"100000" doc:"Markdown (GitHub flavour). HTML inside it is allowed but sanitised when rendered: scripts, event handlers and javascript: links never reach the public."`
		MetaDescription string     `json:"meta_description,omitempty" maxLength:"300"`
		SocialImageURL  string     `json:"social_image_url,omitempty" maxLength:"2000" doc:"An absolute http(s) URL."`
		Status          string     `json:"status,omitempty" enum:"draft,scheduled,published,archived" default:"draft" doc:"published without publish_at publishes now; scheduled needs publish_at."`
		PublishAt       *time.Time `json:"publish_at,omitempty" doc:"When the page goes public (scheduled or published)."`
	}
}

type pageUpdateInput struct {
	PageSlugPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The page's ETag as you read it (from the preview, create or an earlier update). Required."`
	Body    struct {
		Slug            *string    `json:"slug,omitempty" minLength:"1" maxLength:"100" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$" doc:"Renaming changes the page's public address."`
		Title           *string    `json:"title,omitempty" minLength:"1" maxLength:"200"`
		Summary         *string    `json:"summary,omitempty" maxLength:"1000"`
		Body            *string    `json:"body,omitempty" maxLength:"100000" doc:"Markdown; see create-page."`
		MetaDescription *string    `json:"meta_description,omitempty" maxLength:"300"`
		SocialImageURL  *string    `json:"social_image_url,omitempty" maxLength:"2000" doc:"Empty removes it."`
		Status          *string    `json:"status,omitempty" enum:"draft,scheduled,published,archived"`
		PublishAt       *time.Time `json:"publish_at,omitempty"`
	}
}

type pageIfMatchInput struct {
	PageSlugPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The page's ETag as you read it. Required."`
}

type allPagesInput struct {
	PageQuery
	Status string `query:"status" enum:"draft,scheduled,published,archived" doc:"Only pages with this stored status."`
}

type pageListing struct {
	ID        string     `json:"id" format:"uuid"`
	Slug      string     `json:"slug"`
	Title     string     `json:"title"`
	Summary   string     `json:"summary"`
	Status    string     `json:"status" enum:"draft,scheduled,published,archived"`
	PublishAt *time.Time `json:"publish_at,omitempty"`
	Version   int32      `json:"version"`
	UpdatedAt time.Time  `json:"updated_at"`
	UpdatedBy string     `json:"updated_by,omitempty" format:"uuid"`
}

type pageListingPage struct {
	Items      []pageListing `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

func registerPageEditing(hapi huma.API, pages contentService) {
	tags := []string{"Pages"}
	register(hapi, editors, huma.Operation{
		OperationID: "list-all-pages",
		Method:      http.MethodGet,
		Path:        "/v1/pages/all",
		Summary:     "List every page, for editors",
		Description: "Pages in every status, most recently changed first, cursor-paginated.",
		Tags:        tags,
	}, func(ctx context.Context, in *allPagesInput) (*struct{ Body pageListingPage }, error) {
		var after *content.ListingCursor
		if in.Cursor != "" {
			after = &content.ListingCursor{}
			if err := decodeCursor(in.Cursor, after); err != nil {
				return nil, err
			}
		}
		items, next, err := pages.AllPages(ctx, content.Status(in.Status), after, in.Limit)
		if err != nil {
			return nil, err
		}
		body := pageListingPage{Items: make([]pageListing, len(items))}
		for i, p := range items {
			body.Items[i] = pageListing{ID: p.ID.String(), Slug: p.Slug, Title: p.Title, Summary: p.Summary, Status: string(p.Status),
				PublishAt: p.PublishAt, Version: p.Version, UpdatedAt: p.UpdatedAt, UpdatedBy: idString(p.UpdatedBy)}
		}
		if next != nil {
			body.NextCursor = encodeCursor(next)
		}
		return &struct{ Body pageListingPage }{Body: body}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID:   "create-page",
		Method:        http.MethodPost,
		Path:          "/v1/pages",
		Summary:       "Create a page",
		Description:   "Creates a page (a draft unless a status says otherwise) and its first revision. A slug already in use is 409 `slug-taken`; a reserved one 422 `slug-reserved`.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *pageCreateInput) (*editablePageOutput, error) {
		b := in.Body
		status := content.Status(b.Status)
		p, err := pages.CreatePage(ctx, callerID(ctx), content.PageFields{Slug: &b.Slug, Title: &b.Title, Summary: &b.Summary, Body: &b.Body,
			MetaDescription: &b.MetaDescription, SocialImageURL: &b.SocialImageURL, Status: &status, PublishAt: b.PublishAt})
		if err != nil {
			return nil, err
		}
		return &editablePageOutput{ETag: p.ETag(), Body: editablePageBody(p, pages.Now())}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "preview-page",
		Method:      http.MethodGet,
		Path:        "/v1/pages/{slug}/preview",
		Summary:     "Preview a page, in any status",
		Description: "The page as editors see it, drafts included: its Markdown, the HTML the public will get, its status and the ETag to send when updating it.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *PageSlugPath) (*editablePageOutput, error) {
		p, err := pages.PageForEditing(ctx, in.Slug)
		if err != nil {
			return nil, err
		}
		return &editablePageOutput{ETag: p.ETag(), Body: editablePageBody(p, pages.Now())}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "update-page",
		Method:      http.MethodPatch,
		Path:        "/v1/pages/{slug}",
		Summary:     "Edit, publish, schedule or archive a page",
		Description: "Only the fields sent change, and each save that changes something is a new revision. Send the page's `ETag` in `If-Match`: " +
			"without it the answer is 428; if a colleague saved the page since you read it, 412 `stale-version` and nothing is overwritten. " +
			"Publish with `status: published` (now, or at `publish_at`), schedule with `status: scheduled` and a future `publish_at`, take a page down with `draft` or `archived`.",
		Tags:   tags,
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *pageUpdateInput) (*editablePageOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		b := in.Body
		f := content.PageFields{Slug: b.Slug, Title: b.Title, Summary: b.Summary, Body: b.Body, MetaDescription: b.MetaDescription,
			SocialImageURL: b.SocialImageURL, PublishAt: b.PublishAt}
		if b.Status != nil {
			status := content.Status(*b.Status)
			f.Status = &status
		}
		p, err := pages.UpdatePage(ctx, in.Slug, pre, callerID(ctx), f)
		if err != nil {
			return nil, err
		}
		return &editablePageOutput{ETag: p.ETag(), Body: editablePageBody(p, pages.Now())}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID:   "delete-page",
		Method:        http.MethodDelete,
		Path:          "/v1/pages/{slug}",
		Summary:       "Delete a page",
		Description:   "Deletes a page and its revisions for good; to take a page down, archive it instead. Needs `If-Match`. A page that a menu or a call to action links to is 409 `page-in-use`.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *pageIfMatchInput) (*struct{}, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		return nil, pages.DeletePage(ctx, in.Slug, pre)
	})
}
