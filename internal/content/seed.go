package content

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Organisation names the seed text leaves implicit.
const (
	organisationName      = "Harmed Patients Alliance"
	organisationShortName = "HPA"
)

// SeedReport says what Seed added; all zero means everything was there.
type SeedReport struct {
	SiteProfile     int64
	Pages           int64
	Audiences       int64
	CallsToAction   int64
	NavigationItems int64
}

// Seed fills a database with the charity's own text: the site profile,
// the published pages, the audiences, the calls to action and the menus.
// Each item is recorded in content_seed when first loaded and never loaded
// again, so running Seed again, or after editors have changed or deleted
// seeded content, changes nothing. It all happens in one transaction.
func Seed(ctx context.Context, db store.DB, text *SeedText, contactEmail string) (SeedReport, error) {
	var r SeedReport
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		sd := seeder{tx: tx, md: newMarkdown(), now: time.Now()}
		return sd.run(ctx, text, contactEmail, &r)
	})
	return r, err
}

type seeder struct {
	tx  pgx.Tx
	md  *markdown
	now time.Time
}

// claim records that the item key is being seeded; false means it was
// seeded before and must be left alone.
func (sd seeder) claim(ctx context.Context, key string) (bool, error) {
	n, err := store.Q.ContentSeedClaim(ctx, sd.tx, key)
	if err != nil {
		return false, fmt.Errorf("seed %s: %w", key, err)
	}
	return n == 1, nil
}

func (sd seeder) run(ctx context.Context, text *SeedText, contactEmail string, r *SeedReport) error {
	if ok, err := sd.claim(ctx, "site.profile"); err != nil {
		return err
	} else if ok {
		var email *string
		if contactEmail != "" {
			email = &contactEmail
		}
		if r.SiteProfile, err = store.Q.SiteProfileInsertIfMissing(ctx, sd.tx, store.SiteProfileInsertIfMissingParams{
			Name: organisationName, ShortName: organisationShortName, Tagline: text.Tagline, MissionStatement: text.Mission,
			Description: text.About[0], ContactEmail: email,
		}); err != nil {
			return fmt.Errorf("seed site profile: %w", err)
		}
	}
	if ok, err := sd.claim(ctx, "site.mission"); err != nil {
		return err
	} else if ok {
		if _, err := store.Q.SiteProfileSeedMission(ctx, sd.tx, store.SiteProfileSeedMissionParams{
			RestorativeQuestions: text.Questions, AudiencesIntro: text.Audiences,
		}); err != nil {
			return fmt.Errorf("seed mission: %w", err)
		}
	}
	for _, p := range seedPages(text) {
		n, err := sd.page(ctx, p)
		if err != nil {
			return err
		}
		r.Pages += n
	}
	for i, name := range text.AudienceNames {
		n, err := sd.audience(ctx, name, text.GetInTouch, int32(i+1))
		if err != nil {
			return err
		}
		r.Audiences += n
	}
	for i, c := range seedCallsToAction(text) {
		n, err := sd.callToAction(ctx, c, int32(i+1))
		if err != nil {
			return err
		}
		r.CallsToAction += n
	}
	for menu, items := range seedMenus() {
		n, err := sd.menu(ctx, menu, items)
		if err != nil {
			return err
		}
		r.NavigationItems += n
	}
	return nil
}

func (sd seeder) page(ctx context.Context, p seedPage) (int64, error) {
	if ok, err := sd.claim(ctx, "page."+p.slug); err != nil || !ok {
		return 0, err
	}
	if _, err := store.Q.PageGetBySlug(ctx, sd.tx, p.slug); err == nil {
		return 0, nil // an editor made a page with this slug before the seed ran
	} else if !store.IsNotFound(err) {
		return 0, fmt.Errorf("seed page %s: %w", p.slug, err)
	}
	rendered, err := sd.md.render(p.body)
	if err != nil {
		return 0, err
	}
	st := pageState{slug: p.slug, title: p.title, summary: p.summary, body: p.body, metaDescription: metaDescription(p.summary),
		status: StatusPublished, publishAt: &sd.now}
	row, err := store.Q.PageInsert(ctx, sd.tx, insertParams(st, rendered, nil))
	if err != nil {
		return 0, fmt.Errorf("seed page %s: %w", p.slug, err)
	}
	page, err := pageFromRow(row)
	if err != nil {
		return 0, err
	}
	return 1, insertRevision(ctx, sd.tx, page, []string{"seed"}, nil, nil)
}

func (sd seeder) audience(ctx context.Context, name, message string, position int32) (int64, error) {
	key := slugify(name)
	if ok, err := sd.claim(ctx, "audience."+key); err != nil || !ok {
		return 0, err
	}
	n, err := store.Q.AudienceInsertIfMissing(ctx, sd.tx, store.AudienceInsertIfMissingParams{Key: key, Name: name, Message: message, Position: position})
	if err != nil {
		return 0, fmt.Errorf("seed audience %s: %w", key, err)
	}
	return n, nil
}

func (sd seeder) callToAction(ctx context.Context, c seedLink, position int32) (int64, error) {
	if ok, err := sd.claim(ctx, "call_to_action."+c.key); err != nil || !ok {
		return 0, err
	}
	pageID, err := sd.pageID(ctx, c.page)
	if err != nil {
		return 0, err
	}
	n, err := store.Q.CallToActionInsertIfMissing(ctx, sd.tx, store.CallToActionInsertIfMissingParams{Key: c.key, Title: c.label,
		Text: c.text, ButtonLabel: c.button, PageID: pageID, Position: position})
	if err != nil {
		return 0, fmt.Errorf("seed call to action %s: %w", c.key, err)
	}
	return n, nil
}

func (sd seeder) menu(ctx context.Context, menu Menu, items []seedLink) (int64, error) {
	if ok, err := sd.claim(ctx, "navigation."+string(menu)); err != nil || !ok {
		return 0, err
	}
	if empty, err := store.Q.NavigationMenuIsEmpty(ctx, sd.tx, string(menu)); err != nil {
		return 0, fmt.Errorf("seed %s menu: %w", menu, err)
	} else if empty == nil || !*empty {
		return 0, nil // editors made this menu before the seed ran
	}
	var n int64
	for _, it := range items {
		pageID, err := sd.pageID(ctx, it.page)
		if err != nil || pageID == nil {
			return n, err // the page is gone: leave the rest of the menu to editors
		}
		n++
		if err := store.Q.NavigationItemInsert(ctx, sd.tx, store.NavigationItemInsertParams{Menu: string(menu), Position: int32(n),
			Label: it.label, PageID: pageID}); err != nil {
			return n, fmt.Errorf("seed %s menu: %w", menu, err)
		}
	}
	return n, nil
}

func (sd seeder) pageID(ctx context.Context, slug string) (*uuid.UUID, error) {
	row, err := store.Q.PageGetBySlug(ctx, sd.tx, slug)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find page %s: %w", slug, err)
	}
	return &row.ID, nil
}

// metaDescription is the summary if it fits the 300 characters search
// engines show, else its first sentences that do.
func metaDescription(summary string) string {
	if len([]rune(summary)) <= 300 {
		return summary
	}
	var b strings.Builder
	for _, sentence := range strings.SplitAfter(summary, ". ") {
		if len([]rune(b.String()+sentence)) > 300 {
			break
		}
		b.WriteString(sentence)
	}
	return strings.TrimSpace(b.String())
}
