package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/content"
)

type revisionInfo struct {
	Number        int32     `json:"number" example:"3"`
	Status        string    `json:"status" enum:"draft,scheduled,published,archived" doc:"The page's status as saved."`
	ChangedFields []string  `json:"changed_fields" example:"[\"title\",\"body\"]" doc:"What this save changed (seed for the charity's seed text)."`
	RestoredFrom  *int32    `json:"restored_from,omitempty" doc:"The revision this save restored."`
	CreatedBy     string    `json:"created_by,omitempty" format:"uuid" doc:"The staff member who saved it; absent for the seed."`
	CreatedAt     time.Time `json:"created_at"`
}

func revisionInfoBody(r content.RevisionInfo) revisionInfo {
	return revisionInfo{Number: r.Number, Status: string(r.Status), ChangedFields: r.ChangedFields, RestoredFrom: r.RestoredFrom,
		CreatedBy: idString(r.CreatedBy), CreatedAt: r.CreatedAt}
}

type revision struct {
	Number          int32      `json:"number" example:"3"`
	Status          string     `json:"status" enum:"draft,scheduled,published,archived"`
	ChangedFields   []string   `json:"changed_fields"`
	RestoredFrom    *int32     `json:"restored_from,omitempty"`
	CreatedBy       string     `json:"created_by,omitempty" format:"uuid"`
	CreatedAt       time.Time  `json:"created_at"`
	Slug            string     `json:"slug"`
	Title           string     `json:"title"`
	Summary         string     `json:"summary"`
	Body            string     `json:"body" doc:"Markdown as saved."`
	MetaDescription string     `json:"meta_description"`
	SocialImageURL  string     `json:"social_image_url,omitempty"`
	PublishAt       *time.Time `json:"publish_at,omitempty"`
}

type revisionList struct {
	Items      []revisionInfo `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for older revisions; absent on the last page."`
}

type revisionListInput struct {
	PageSlugPath
	PageQuery
}

// RevisionPath names a page revision in the path (exported so huma sees
// its fields when it is embedded).
type RevisionPath struct {
	PageSlugPath
	Number int32 `path:"number" minimum:"1" example:"3" doc:"The revision number."`
}

type restoreInput struct {
	RevisionPath
	IfMatch string `header:"If-Match" maxLength:"1024" doc:"The page's current ETag. Required."`
}

func registerPageRevisions(hapi huma.API, pages contentService) {
	tags := []string{"Pages"}
	register(hapi, editors, huma.Operation{
		OperationID: "list-page-revisions",
		Method:      http.MethodGet,
		Path:        "/v1/pages/{slug}/revisions",
		Summary:     "List a page's revisions",
		Description: "Every save of the page, newest first: who, when and what changed.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *revisionListInput) (*struct{ Body revisionList }, error) {
		var before int32
		if err := decodeCursor(in.Cursor, &before); err != nil {
			return nil, err
		}
		revs, err := pages.Revisions(ctx, in.Slug, before, in.Limit)
		if err != nil {
			return nil, err
		}
		body := revisionList{Items: make([]revisionInfo, len(revs))}
		for i, r := range revs {
			body.Items[i] = revisionInfoBody(r)
		}
		if len(revs) == in.Limit && revs[len(revs)-1].Number > 1 {
			body.NextCursor = encodeCursor(revs[len(revs)-1].Number)
		}
		return &struct{ Body revisionList }{Body: body}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "get-page-revision",
		Method:      http.MethodGet,
		Path:        "/v1/pages/{slug}/revisions/{number}",
		Summary:     "Get one revision of a page",
		Description: "The page's fields as that save left them.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *RevisionPath) (*struct{ Body revision }, error) {
		r, err := pages.Revision(ctx, in.Slug, in.Number)
		if err != nil {
			return nil, err
		}
		info := revisionInfoBody(r.RevisionInfo)
		return &struct{ Body revision }{Body: revision{Number: info.Number, Status: info.Status, ChangedFields: info.ChangedFields,
			RestoredFrom: info.RestoredFrom, CreatedBy: info.CreatedBy, CreatedAt: info.CreatedAt, Slug: r.Slug, Title: r.Title,
			Summary: r.Summary, Body: r.BodyMarkdown, MetaDescription: r.MetaDescription, SocialImageURL: r.SocialImageURL, PublishAt: r.PublishAt}}, nil
	})

	register(hapi, editors, huma.Operation{
		OperationID: "restore-page-revision",
		Method:      http.MethodPost,
		Path:        "/v1/pages/{slug}/revisions/{number}/restore",
		Summary:     "Restore a revision of a page",
		Description: "Makes the page's title, summary, body and SEO fields what they were in that revision, as a new revision; the slug and the publication status stay as they are. " +
			"Needs the page's current `ETag` in `If-Match` (428 without it, 412 if it is stale).",
		Tags:   tags,
		Errors: []int{http.StatusNotFound, http.StatusPreconditionFailed, http.StatusPreconditionRequired},
	}, func(ctx context.Context, in *restoreInput) (*editablePageOutput, error) {
		pre, err := requirePrecondition(in.IfMatch)
		if err != nil {
			return nil, err
		}
		p, err := pages.RestoreRevision(ctx, in.Slug, in.Number, pre, callerID(ctx))
		if err != nil {
			return nil, err
		}
		return &editablePageOutput{ETag: p.ETag(), Body: editablePageBody(p, pages.Now())}, nil
	})
}
