package content

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Status is where a page is in the publishing workflow.
type Status string

// Page statuses. A scheduled page is public from its publish_at on, and
// is reported as published from then.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Page is a page with everything editors and the public see of it.
type Page struct {
	ID              uuid.UUID
	Slug            string
	Title           string
	Summary         string
	BodyMarkdown    string
	BodyHTML        string
	Headings        []Heading
	MetaDescription string
	SocialImageURL  string
	// Status is as stored; StatusAt says what it means at a given time.
	Status    Status
	PublishAt *time.Time
	AuthorID  *uuid.UUID
	UpdatedBy *uuid.UUID
	Version   int32
	CreatedAt time.Time
	UpdatedAt time.Time
	// PublicVersion changes whenever the public representation does: the
	// public ETag.
	PublicVersion string
	// bodyText is the body's visible text (what search indexes).
	bodyText string
}

// StatusAt is the page's status at time now: a scheduled page whose time
// has come is published.
func (p *Page) StatusAt(now time.Time) Status {
	return effectiveStatus(p.Status, p.PublishAt, now)
}

func effectiveStatus(status Status, publishAt *time.Time, now time.Time) Status {
	if status == StatusScheduled && publishAt != nil && !publishAt.After(now) {
		return StatusPublished
	}
	return status
}

// ETag is the validator editors send back in If-Match.
func (p *Page) ETag() string { return recordETag(p.ID, p.Version) }

func pageFromRow(r store.Page) (*Page, error) {
	var headings []Heading
	if err := json.Unmarshal(r.Headings, &headings); err != nil {
		return nil, fmt.Errorf("page %s headings: %w", r.ID, err)
	}
	p := &Page{
		ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary, BodyMarkdown: r.BodyMarkdown, BodyHTML: r.BodyHtml,
		Headings: headings, MetaDescription: r.MetaDescription, SocialImageURL: store.Text(r.SocialImageUrl),
		Status: Status(r.Status), PublishAt: utc(r.PublishAt), AuthorID: r.AuthorID, UpdatedBy: r.UpdatedBy,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), bodyText: r.BodyText,
	}
	p.PublicVersion = versionOf([]any{p.Slug, p.Title, p.Summary, p.BodyHTML, p.Headings, p.MetaDescription, p.SocialImageURL, p.PublishAt, p.UpdatedAt})
	return p, nil
}

// PublishedPage returns a public page by slug, from memory when fresh.
func (s *Service) PublishedPage(ctx context.Context, slug string) (*Page, error) {
	if !validSlug(slug) {
		return nil, pageNotFound(slug)
	}
	s.fresh(ctx)
	return s.public.pages.Get(ctx, slug, func(ctx context.Context) (*Page, error) {
		row, err := store.Q.PageGetPublishedBySlug(ctx, s.db, store.PageGetPublishedBySlugParams{Slug: slug, Now: s.now()})
		if store.IsNotFound(err) {
			return nil, pageNotFound(slug)
		}
		if err != nil {
			return nil, fmt.Errorf("load page: %w", err)
		}
		return pageFromRow(row)
	})
}

// PageForEditing returns a page in any status, for editors (and their
// preview of a draft). It is never cached.
func (s *Service) PageForEditing(ctx context.Context, slug string) (*Page, error) {
	if !validSlug(slug) {
		return nil, pageNotFound(slug)
	}
	row, err := store.Q.PageGetBySlug(ctx, s.db, slug)
	if store.IsNotFound(err) {
		return nil, pageNotFound(slug)
	}
	if err != nil {
		return nil, fmt.Errorf("load page: %w", err)
	}
	return pageFromRow(row)
}

// validSlug says whether slug could name a page (or an audience): what
// slugPattern matches, at most 100 bytes. Other strings (invalid UTF-8,
// path tricks) are answered "not found" without a query. It runs on every
// public page request, so it is a loop rather than the regular expression.
func validSlug(slug string) bool {
	if slug == "" || len(slug) > 100 || slug[0] == '-' || slug[len(slug)-1] == '-' {
		return false
	}
	for i := 0; i < len(slug); i++ {
		c := slug[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case c == '-' && slug[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

func pageNotFound(slug string) error {
	return hpa.Errorf(hpa.ENOTFOUND, "there is no page %q", slug)
}

// PageSummary is a page in a public list.
type PageSummary struct {
	ID              uuid.UUID `json:"-"`
	Slug            string
	Title           string
	Summary         string
	MetaDescription string
	SocialImageURL  string
	PublishedAt     time.Time
	UpdatedAt       time.Time
}

// PageCursor continues a public list after the page it names.
type PageCursor struct {
	PublishAt time.Time `json:"p"`
	ID        uuid.UUID `json:"i"`
}

// PageList is one page of a public list.
type PageList struct {
	Items []PageSummary
	// Next continues the list; nil on the last page.
	Next *PageCursor
	// Version changes whenever the list does: the ETag.
	Version string
}

// PublishedPages lists public pages, newest first, from memory when fresh.
func (s *Service) PublishedPages(ctx context.Context, after *PageCursor, limit int) (*PageList, error) {
	s.fresh(ctx)
	key := strconv.Itoa(limit)
	if after != nil {
		key += "|" + after.PublishAt.Format(time.RFC3339Nano) + "|" + after.ID.String()
	}
	return s.public.lists.Get(ctx, key, func(ctx context.Context) (*PageList, error) {
		p := store.PageListPublishedParams{Now: s.now(), PageSize: int32(limit) + 1}
		if after != nil {
			p.AfterPublishAt, p.AfterID = &after.PublishAt, after.ID
		}
		rows, err := store.Q.PageListPublished(ctx, s.db, p)
		if err != nil {
			return nil, fmt.Errorf("list pages: %w", err)
		}
		list := &PageList{Items: make([]PageSummary, 0, len(rows))}
		for i, r := range rows {
			if i == limit {
				last := list.Items[limit-1]
				list.Next = &PageCursor{PublishAt: last.PublishedAt, ID: last.ID}
				break
			}
			list.Items = append(list.Items, PageSummary{ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary,
				MetaDescription: r.MetaDescription, SocialImageURL: store.Text(r.SocialImageUrl), PublishedAt: r.PublishAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()})
		}
		list.Version = versionOf(list)
		return list, nil
	})
}

// PageListing is a page in the editors' list.
type PageListing struct {
	ID        uuid.UUID
	Slug      string
	Title     string
	Summary   string
	Status    Status
	PublishAt *time.Time
	Version   int32
	UpdatedAt time.Time
	UpdatedBy *uuid.UUID
}

// ListingCursor continues the editors' list after the page it names.
type ListingCursor struct {
	UpdatedAt time.Time `json:"u"`
	ID        uuid.UUID `json:"i"`
}

// AllPages lists every page (optionally only those with a stored status),
// most recently changed first, for editors. The cursor is nil on the last
// page.
func (s *Service) AllPages(ctx context.Context, status Status, after *ListingCursor, limit int) ([]PageListing, *ListingCursor, error) {
	p := store.PageListAllParams{PageSize: int32(limit) + 1}
	if status != "" {
		st := string(status)
		p.Status = &st
	}
	if after != nil {
		p.AfterUpdatedAt, p.AfterID = &after.UpdatedAt, after.ID
	}
	rows, err := store.Q.PageListAll(ctx, s.db, p)
	if err != nil {
		return nil, nil, fmt.Errorf("list pages: %w", err)
	}
	now := s.now()
	out := make([]PageListing, 0, len(rows))
	var next *ListingCursor
	for i, r := range rows {
		if i == limit {
			next = &ListingCursor{UpdatedAt: rows[i-1].UpdatedAt, ID: rows[i-1].ID}
			break
		}
		out = append(out, PageListing{ID: r.ID, Slug: r.Slug, Title: r.Title, Summary: r.Summary,
			Status: effectiveStatus(Status(r.Status), r.PublishAt, now), PublishAt: utc(r.PublishAt), Version: r.Version,
			UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy})
	}
	return out, next, nil
}

// Now is the service's clock, for callers that report effective statuses.
func (s *Service) Now() time.Time { return s.now() }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
