package content

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// RevisionInfo says who saved a page, when, and what changed.
type RevisionInfo struct {
	Number        int32
	Status        Status
	ChangedFields []string
	// RestoredFrom is the revision this one restored, if it did.
	RestoredFrom *int32
	CreatedBy    *uuid.UUID
	CreatedAt    time.Time
}

// Revision is a page as it was saved.
type Revision struct {
	RevisionInfo
	Slug            string
	Title           string
	Summary         string
	BodyMarkdown    string
	MetaDescription string
	SocialImageURL  string
	PublishAt       *time.Time
}

// Revisions lists a page's revisions, newest first, before the given
// number (0 for the newest).
func (s *Service) Revisions(ctx context.Context, slug string, before int32, limit int) ([]RevisionInfo, error) {
	page, err := s.PageForEditing(ctx, slug)
	if err != nil {
		return nil, err
	}
	p := store.PageRevisionListParams{PageID: page.ID, PageSize: int32(limit)}
	if before > 0 {
		p.BeforeNumber = &before
	}
	rows, err := store.Q.PageRevisionList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	out := make([]RevisionInfo, len(rows))
	for i, r := range rows {
		out[i] = RevisionInfo{Number: r.Number, Status: Status(r.Status), ChangedFields: r.ChangedFields,
			RestoredFrom: r.RestoredFrom, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// Revision returns one revision of a page.
func (s *Service) Revision(ctx context.Context, slug string, number int32) (*Revision, error) {
	page, err := s.PageForEditing(ctx, slug)
	if err != nil {
		return nil, err
	}
	r, err := store.Q.PageRevisionGet(ctx, s.db, store.PageRevisionGetParams{PageID: page.ID, Number: number})
	if store.IsNotFound(err) {
		return nil, revisionNotFound(slug, number)
	}
	if err != nil {
		return nil, fmt.Errorf("load revision: %w", err)
	}
	return &Revision{
		RevisionInfo: RevisionInfo{Number: r.Number, Status: Status(r.Status), ChangedFields: r.ChangedFields,
			RestoredFrom: r.RestoredFrom, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()},
		Slug: r.Slug, Title: r.Title, Summary: r.Summary, BodyMarkdown: r.BodyMarkdown, MetaDescription: r.MetaDescription,
		SocialImageURL: store.Text(r.SocialImageUrl), PublishAt: utc(r.PublishAt),
	}, nil
}

func revisionNotFound(slug string, number int32) error {
	return hpa.Errorf(hpa.ENOTFOUND, "page %q has no revision %d", slug, number)
}
