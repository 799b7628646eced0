package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PageFields are the editable fields of a page. On create, Slug and Title
// are required and the rest default to empty (status draft); on update,
// only the fields that are set change, and an empty SocialImageURL clears it.
type PageFields struct {
	Slug            *string
	Title           *string
	Summary         *string
	Body            *string
	MetaDescription *string
	SocialImageURL  *string
	Status          *Status
	PublishAt       *time.Time
}

// page is the editable state of a page, before it is stored.
type pageState struct {
	slug, title, summary, body, metaDescription, socialImageURL string
	status                                                      Status
	publishAt                                                   *time.Time
}

func stateOf(p *Page) pageState {
	return pageState{slug: p.Slug, title: p.Title, summary: p.Summary, body: p.BodyMarkdown, metaDescription: p.MetaDescription,
		socialImageURL: p.SocialImageURL, status: p.Status, publishAt: p.PublishAt}
}

// apply sets the given fields and lists the ones that really changed.
func (st *pageState) apply(f PageFields) []string {
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("slug", &st.slug, f.Slug)
	set("title", &st.title, f.Title)
	set("summary", &st.summary, f.Summary)
	set("body", &st.body, f.Body)
	set("meta_description", &st.metaDescription, f.MetaDescription)
	set("social_image_url", &st.socialImageURL, f.SocialImageURL)
	if f.Status != nil && *f.Status != st.status {
		st.status = *f.Status
		changed = append(changed, "status")
	}
	if f.PublishAt != nil && (st.publishAt == nil || !f.PublishAt.Equal(*st.publishAt)) {
		t := f.PublishAt.UTC()
		st.publishAt = &t
		changed = append(changed, "publish_at")
	}
	return changed
}

// slugPattern is lower-case words of letters and digits joined by hyphens.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// reservedSlugs would collide with the API's own paths under /v1/pages or
// with routes every frontend has.
var reservedSlugs = map[string]bool{
	"all": true, "new": true, "edit": true, "preview": true, "revisions": true, "search": true, "admin": true,
	"api": true, "v1": true, "login": true, "logout": true, "static": true, "assets": true, "feed": true,
	"rss": true, "sitemap": true, "robots": true, "favicon": true, "docs": true, "openapi": true,
}

// validate checks the state and settles its publication: publishing
// without a time means now, publishing in the future means scheduled, and
// a schedule whose time has passed is simply published.
func (st *pageState) validate(now time.Time) error {
	if err := checkText(map[string]string{"body.slug": st.slug, "body.title": st.title, "body.summary": st.summary,
		"body.body": st.body, "body.meta_description": st.metaDescription, "body.social_image_url": st.socialImageURL}); err != nil {
		return err
	}
	switch {
	case !slugPattern.MatchString(st.slug) || len(st.slug) > 100:
		return hpa.Invalid("body.slug", "must be 1 to 100 lower-case letters, digits and single hyphens, such as about-us")
	case reservedSlugs[st.slug]:
		return hpa.Invalid("body.slug", fmt.Sprintf("%q is reserved; choose another slug", st.slug)).WithReason(ReasonSlugReserved)
	case st.title == "":
		return hpa.Invalid("body.title", "is required")
	case st.socialImageURL != "" && !isWebURL(st.socialImageURL):
		return hpa.Invalid("body.social_image_url", "must be an absolute http(s) URL")
	}
	switch st.status {
	case StatusDraft, StatusArchived:
	case StatusPublished:
		if st.publishAt == nil {
			st.publishAt = &now
		} else if st.publishAt.After(now) {
			st.status = StatusScheduled
		}
	case StatusScheduled:
		if st.publishAt == nil {
			return hpa.Invalid("body.publish_at", "is required to schedule a page")
		}
		if !st.publishAt.After(now) {
			st.status = StatusPublished
		}
	default:
		return hpa.Invalid("body.status", "must be draft, scheduled, published or archived")
	}
	return nil
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// CreatePage stores a new page and its first revision.
func (s *Service) CreatePage(ctx context.Context, author uuid.UUID, f PageFields) (*Page, error) {
	st := pageState{status: StatusDraft}
	st.apply(f)
	if err := st.validate(s.now()); err != nil {
		return nil, err
	}
	rendered, err := s.md.render(st.body)
	if err != nil {
		return nil, err
	}
	var out *Page
	err = s.write(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.PageInsert(ctx, tx, insertParams(st, rendered, optionalID(author)))
		if store.IsUniqueViolation(err, "pages_slug_key") {
			return slugTaken(st.slug)
		}
		if err != nil {
			return fmt.Errorf("create page: %w", err)
		}
		if out, err = pageFromRow(row); err != nil {
			return err
		}
		fields := []string{"slug", "title", "summary", "body", "meta_description", "social_image_url", "status", "publish_at"}
		if err := insertRevision(ctx, tx, out, fields, nil, optionalID(author)); err != nil {
			return err
		}
		return recordChange(ctx, tx, "page.create", "page", out.ID.String(), map[string]any{"version": out.Version, "status": out.Status})
	})
	return out, err
}

func insertParams(st pageState, r Rendered, author *uuid.UUID) store.PageInsertParams {
	return store.PageInsertParams{Slug: st.slug, Title: st.title, Summary: st.summary, BodyMarkdown: st.body, BodyHtml: r.HTML,
		BodyText: r.Text, Headings: headingsJSON(r.Headings), MetaDescription: st.metaDescription,
		SocialImageUrl: emptyAsNil(&st.socialImageURL), Status: string(st.status), PublishAt: st.publishAt, AuthorID: author}
}

// UpdatePage changes the fields set in f if the page is still the version
// the editor read; a save that changes nothing adds no revision.
func (s *Service) UpdatePage(ctx context.Context, slug string, pre Precondition, editor uuid.UUID, f PageFields) (*Page, error) {
	return s.savePage(ctx, slug, pre, editor, "page.update", func(_ pgx.Tx, _ *Page) (PageFields, *int32, error) { return f, nil, nil })
}

// RestoreRevision makes a page's title, summary, body and SEO fields what
// they were in an earlier revision, as a new revision. The slug and the
// publication status stay as they are.
func (s *Service) RestoreRevision(ctx context.Context, slug string, number int32, pre Precondition, editor uuid.UUID) (*Page, error) {
	return s.savePage(ctx, slug, pre, editor, "page.restore", func(tx pgx.Tx, p *Page) (PageFields, *int32, error) {
		rev, err := store.Q.PageRevisionGet(ctx, tx, store.PageRevisionGetParams{PageID: p.ID, Number: number})
		if store.IsNotFound(err) {
			return PageFields{}, nil, revisionNotFound(slug, number)
		}
		if err != nil {
			return PageFields{}, nil, fmt.Errorf("load revision: %w", err)
		}
		image := store.Text(rev.SocialImageUrl)
		return PageFields{Title: &rev.Title, Summary: &rev.Summary, Body: &rev.BodyMarkdown,
			MetaDescription: &rev.MetaDescription, SocialImageURL: &image}, &number, nil
	})
}

// savePage is the one path every change to a page takes: lock, check the
// precondition, apply, validate, render, store, add a revision, audit.
func (s *Service) savePage(ctx context.Context, slug string, pre Precondition, editor uuid.UUID, action string,
	change func(pgx.Tx, *Page) (PageFields, *int32, error)) (*Page, error) {
	var out *Page
	err := s.write(ctx, func(tx pgx.Tx) error {
		current, err := lockPage(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := pre.check(current.ETag(), "page"); err != nil {
			return err
		}
		f, restoredFrom, err := change(tx, current)
		if err != nil {
			return err
		}
		st := stateOf(current)
		changed := st.apply(f)
		if err := st.validate(s.now()); err != nil {
			return err
		}
		if st.status != current.Status && !slices.Contains(changed, "status") {
			changed = append(changed, "status") // settled by validate
		}
		if len(changed) == 0 {
			out = current
			return nil
		}
		rendered := Rendered{HTML: current.BodyHTML, Text: current.bodyText, Headings: current.Headings}
		if slices.Contains(changed, "body") {
			if rendered, err = s.md.render(st.body); err != nil {
				return err
			}
		}
		p := insertParams(st, rendered, optionalID(editor))
		row, err := store.Q.PageUpdate(ctx, tx, store.PageUpdateParams{ID: current.ID, Version: current.Version,
			Slug: p.Slug, Title: p.Title, Summary: p.Summary, BodyMarkdown: p.BodyMarkdown, BodyHtml: p.BodyHtml, BodyText: p.BodyText,
			Headings: p.Headings, MetaDescription: p.MetaDescription, SocialImageUrl: p.SocialImageUrl, Status: p.Status,
			PublishAt: p.PublishAt, UpdatedBy: p.AuthorID})
		if store.IsUniqueViolation(err, "pages_slug_key") {
			return slugTaken(st.slug)
		}
		if err != nil {
			return fmt.Errorf("update page: %w", err)
		}
		if out, err = pageFromRow(row); err != nil {
			return err
		}
		if err := insertRevision(ctx, tx, out, changed, restoredFrom, optionalID(editor)); err != nil {
			return err
		}
		details := map[string]any{"version": out.Version, "fields": changed, "status": out.Status}
		if restoredFrom != nil {
			details["restored_from"] = *restoredFrom
		}
		return recordChange(ctx, tx, action, "page", out.ID.String(), details)
	})
	return out, err
}

// DeletePage removes a page and its revisions. A page that a menu or a
// call to action links to cannot be deleted (archive it, or change the
// link first).
func (s *Service) DeletePage(ctx context.Context, slug string, pre Precondition) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		current, err := lockPage(ctx, tx, slug)
		if err != nil {
			return err
		}
		if err := pre.check(current.ETag(), "page"); err != nil {
			return err
		}
		_, err = store.Q.PageDelete(ctx, tx, store.PageDeleteParams{ID: current.ID, Version: current.Version})
		if isForeignKeyViolation(err) {
			return hpa.Errorf(hpa.ECONFLICT, "page %q is linked from a navigation menu or a call to action: change those links first, or archive the page instead", slug).WithReason(ReasonPageInUse)
		}
		if err != nil {
			return fmt.Errorf("delete page: %w", err)
		}
		return recordChange(ctx, tx, "page.delete", "page", current.ID.String(), map[string]any{"version": current.Version})
	})
}

func lockPage(ctx context.Context, tx pgx.Tx, slug string) (*Page, error) {
	if !validSlug(slug) {
		return nil, pageNotFound(slug)
	}
	row, err := store.Q.PageGetBySlugForUpdate(ctx, tx, slug)
	if store.IsNotFound(err) {
		return nil, pageNotFound(slug)
	}
	if err != nil {
		return nil, fmt.Errorf("lock page: %w", err)
	}
	return pageFromRow(row)
}

func insertRevision(ctx context.Context, tx pgx.Tx, p *Page, changed []string, restoredFrom *int32, by *uuid.UUID) error {
	err := store.Q.PageRevisionInsert(ctx, tx, store.PageRevisionInsertParams{
		PageID: p.ID, Number: p.Version, Slug: p.Slug, Title: p.Title, Summary: p.Summary, BodyMarkdown: p.BodyMarkdown,
		MetaDescription: p.MetaDescription, SocialImageUrl: emptyAsNil(&p.SocialImageURL), Status: string(p.Status),
		PublishAt: p.PublishAt, ChangedFields: changed, RestoredFrom: restoredFrom, CreatedBy: by,
	})
	if err != nil {
		return fmt.Errorf("store revision: %w", err)
	}
	return nil
}

func headingsJSON(h []Heading) []byte {
	b, err := json.Marshal(h)
	if err != nil {
		panic("encode headings: " + err.Error()) // a plain struct slice
	}
	return b
}

func slugTaken(slug string) error {
	return hpa.Errorf(hpa.ECONFLICT, "another page already has the slug %q", slug).WithReason(ReasonSlugTaken)
}

func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// recordChange audits a change to content, attributed to the request's actor.
func recordChange(ctx context.Context, tx pgx.Tx, action, targetType, targetID string, details map[string]any) error {
	return audit.Record(ctx, tx, audit.Event{Action: action, TargetType: targetType, TargetID: targetID, Details: details})
}
