package content

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// NotifyChannel is the Postgres channel on which content changes are
// announced (by triggers, see the migrations).
const NotifyChannel = "hpa_content_changed"

// Site is everything a home page renders, in one document: the
// organisation's profile, its mission, the audiences it speaks to, its
// calls to action and its navigation menus. Links to pages that are not
// public are left out.
type Site struct {
	Name             string
	ShortName        string
	Tagline          string
	MissionStatement string
	Description      string
	// RestorativeQuestions are asked when patients are harmed, in order.
	RestorativeQuestions []string
	// AudiencesIntro is the paragraph addressed to every audience at once.
	AudiencesIntro string
	// ContactEmail, CharityNumber and RegisteredIn are empty when unknown.
	ContactEmail  string
	CharityNumber string
	RegisteredIn  string
	Audiences     []Audience
	CallsToAction []CallToAction
	Navigation    map[Menu][]NavigationItem
	UpdatedAt     time.Time
	// Version changes whenever anything in the document does; it makes a
	// strong ETag, and is what If-Match on an update of the site compares.
	Version string
}

// Deps are what the content service uses besides the database.
type Deps struct {
	// Live reports whether change notifications are arriving (see
	// database.Listener); nil never caches.
	Live func() bool
}

// Service reads and edits public content.
type Service struct {
	db     store.DB
	now    func() time.Time
	md     *markdown
	public *publicCache
}

// NewService returns a Service over db. Its Cache must be subscribed to
// NotifyChannel for caching to be safe. now is the clock that decides when
// scheduled pages go live.
func NewService(db store.DB, deps Deps, now func() time.Time) *Service {
	return &Service{db: db, now: now, md: newMarkdown(), public: newPublicCache(deps.Live)}
}

// Cache is what must hear about content changes.
func (s *Service) Cache() interface {
	Notify(string)
	Reset()
} {
	return s.public
}

// Site returns the public site document, from memory when it is fresh.
func (s *Service) Site(ctx context.Context) (*Site, error) {
	s.fresh(ctx)
	return s.public.site.Get(ctx, "site", func(ctx context.Context) (*Site, error) { return s.loadSite(ctx, s.db) })
}

func (s *Service) loadSite(ctx context.Context, db store.DBTX) (*Site, error) {
	row, err := store.Q.SiteProfileGet(ctx, db)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "the site profile has not been set up yet; run `hpa seed`")
	}
	if err != nil {
		return nil, fmt.Errorf("load site profile: %w", err)
	}
	now := s.now()
	audiences, err := s.listAudiences(ctx, db, now)
	if err != nil {
		return nil, err
	}
	ctas, err := s.listCallsToAction(ctx, db, now)
	if err != nil {
		return nil, err
	}
	menus, err := s.listMenus(ctx, db, now)
	if err != nil {
		return nil, err
	}
	site := &Site{
		Name:                 row.Name,
		ShortName:            row.ShortName,
		Tagline:              row.Tagline,
		MissionStatement:     row.MissionStatement,
		Description:          row.Description,
		RestorativeQuestions: row.RestorativeQuestions,
		AudiencesIntro:       row.AudiencesIntro,
		ContactEmail:         store.Text(row.ContactEmail),
		CharityNumber:        store.Text(row.CharityNumber),
		RegisteredIn:         store.Text(row.RegisteredIn),
		Audiences:            publicAudiences(audiences),
		CallsToAction:        publicCallsToAction(ctas),
		Navigation:           publicMenus(menus),
		UpdatedAt:            row.UpdatedAt.UTC(),
	}
	site.Version = versionOf(site)
	return site, nil
}

// SiteUpdate changes the profile's fields that are set; an empty
// ContactEmail, CharityNumber or RegisteredIn clears it.
type SiteUpdate struct {
	Name, ShortName, Tagline, MissionStatement, Description, AudiencesIntro *string
	// RestorativeQuestions replaces the list when not nil.
	RestorativeQuestions        []string
	ContactEmail, CharityNumber *string
	RegisteredIn                *string
}

// UpdateSite changes the site profile if the site document is still the
// version the editor read (its ETag, from GET /v1/site).
func (s *Service) UpdateSite(ctx context.Context, pre Precondition, u SiteUpdate) (*Site, error) {
	if err := u.validate(); err != nil {
		return nil, err
	}
	var out *Site
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := store.Q.SiteProfileGetForUpdate(ctx, tx); store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "the site profile has not been set up yet; run `hpa seed`")
		} else if err != nil {
			return fmt.Errorf("lock site profile: %w", err)
		}
		current, err := s.loadSite(ctx, tx)
		if err != nil {
			return err
		}
		if err := pre.check(quoted(current.Version), "site"); err != nil {
			return err
		}
		p := store.SiteProfileUpdateParams{
			Name: u.Name, ShortName: u.ShortName, Tagline: u.Tagline, MissionStatement: u.MissionStatement,
			Description: u.Description, AudiencesIntro: u.AudiencesIntro, RestorativeQuestions: u.RestorativeQuestions,
			SetContactEmail: u.ContactEmail != nil, ContactEmail: emptyAsNil(u.ContactEmail),
			SetCharityNumber: u.CharityNumber != nil, CharityNumber: emptyAsNil(u.CharityNumber),
			SetRegisteredIn: u.RegisteredIn != nil, RegisteredIn: emptyAsNil(u.RegisteredIn),
		}
		if _, err := store.Q.SiteProfileUpdate(ctx, tx, p); err != nil {
			return fmt.Errorf("update site profile: %w", err)
		}
		if out, err = s.loadSite(ctx, tx); err != nil {
			return err
		}
		return recordChange(ctx, tx, "site.update", "site", "profile", map[string]any{"fields": u.fieldNames()})
	})
	return out, err
}

func (u SiteUpdate) validate() error {
	fields := map[string]string{}
	for location, v := range map[string]*string{"body.name": u.Name, "body.short_name": u.ShortName, "body.tagline": u.Tagline,
		"body.mission_statement": u.MissionStatement, "body.description": u.Description, "body.audiences_intro": u.AudiencesIntro,
		"body.charity_number": u.CharityNumber, "body.registered_in": u.RegisteredIn} {
		if v != nil {
			fields[location] = *v
		}
	}
	for i, q := range u.RestorativeQuestions {
		fields[fmt.Sprintf("body.restorative_questions[%d]", i)] = q
	}
	return checkText(fields)
}

func (u SiteUpdate) fieldNames() []string {
	var names []string
	for name, set := range map[string]bool{
		"name": u.Name != nil, "short_name": u.ShortName != nil, "tagline": u.Tagline != nil,
		"mission_statement": u.MissionStatement != nil, "description": u.Description != nil,
		"audiences_intro": u.AudiencesIntro != nil, "restorative_questions": u.RestorativeQuestions != nil,
		"contact_email": u.ContactEmail != nil, "charity_number": u.CharityNumber != nil, "registered_in": u.RegisteredIn != nil,
	} {
		if set {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// versionOf hashes a value's JSON form: equal content, equal version.
func versionOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("content version: %v", err)) // only plain structs reach here
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func emptyAsNil(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}
