package content

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/cache"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// NotifyChannel is the Postgres channel on which content changes are
// announced (by triggers, see the migrations).
const NotifyChannel = "hpa_content_changed"

// Site is the organisation's public profile.
type Site struct {
	Name             string
	ShortName        string
	Tagline          string
	MissionStatement string
	Description      string
	// ContactEmail, CharityNumber and RegisteredIn are empty when unknown.
	ContactEmail  string
	CharityNumber string
	RegisteredIn  string
	UpdatedAt     time.Time
	// Version changes whenever any field does; it makes a strong ETag.
	Version string
}

// Service reads and seeds public content.
type Service struct {
	db    store.DBTX
	sites *cache.Cache[*Site]
}

// NewService returns a Service reading through db. live reports whether
// change notifications are arriving (see database.Listener); the returned
// Service's Cache must be subscribed to NotifyChannel for caching to be safe.
func NewService(db store.DBTX, live func() bool) *Service {
	return &Service{db: db, sites: cache.New[*Site](1, live)}
}

// Cache is what must hear about content changes.
func (s *Service) Cache() interface {
	Notify(string)
	Reset()
} {
	return s.sites
}

// Site returns the public profile, from memory when it is fresh.
func (s *Service) Site(ctx context.Context) (*Site, error) {
	return s.sites.Get(ctx, "site", s.loadSite)
}

func (s *Service) loadSite(ctx context.Context) (*Site, error) {
	row, err := store.Q.SiteProfileGet(ctx, s.db)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "the site profile has not been set up yet; run `hpa seed`")
	}
	if err != nil {
		return nil, fmt.Errorf("load site profile: %w", err)
	}
	site := &Site{
		Name:             row.Name,
		ShortName:        row.ShortName,
		Tagline:          row.Tagline,
		MissionStatement: row.MissionStatement,
		Description:      row.Description,
		ContactEmail:     deref(row.ContactEmail),
		CharityNumber:    deref(row.CharityNumber),
		RegisteredIn:     deref(row.RegisteredIn),
		UpdatedAt:        row.UpdatedAt.UTC(),
	}
	site.Version = versionOf(site)
	return site, nil
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
