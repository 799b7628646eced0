package members

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Settings are membership's tunables.
type Settings struct {
	// SiteURL is the website, where confirmation and sign-in links land;
	// APIURL is this API, for one-click unsubscribe.
	SiteURL, APIURL string
	ConfirmTTL      time.Duration // confirmation links (48 h)
	MagicLinkTTL    time.Duration // sign-in links (15 min)
	MemberTokenTTL  time.Duration // self-service tokens (1 h)
	PendingTTL      time.Duration // unconfirmed signups are purged after this
	// EmailInterval: at most one signup email (confirmation or "already a
	// member") per address per interval, however often someone signs up.
	EmailInterval time.Duration
}

// Deps are what membership uses besides the database.
type Deps struct {
	// Work is the background workers' pool, which the signup queue and
	// the workers use (nil: the same as the requests').
	Work store.DB
	// Jobs queues sign-in links (nil for commands that queue nothing).
	Jobs *jobs.Client
	// Ring seals members' personal data; Hasher keys the hashes of
	// addresses.
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
	// Tokens signs members' self-service tokens.
	Tokens *identity.Tokens
	// Outbox sends email (nil for commands that send none). The service
	// writes its link emails' text for it (composeLink).
	Outbox *mail.Outbox
	// Audiences, when set, lists the site's audience keys from content's
	// cache, so a signup checks its audiences without a query of its own
	// (nil: the database is asked each time).
	Audiences AudienceKeys
}

// AudienceKeys lists the keys of the site's audiences; content.Service is
// one.
type AudienceKeys interface {
	AudienceKeys(ctx context.Context) ([]string, error)
}

// Service is membership.
type Service struct {
	db store.DB
	// work is the background workers' pool.
	work      store.DB
	kick      chan struct{} // a signup was queued
	inserts   *signupInserts
	jobs      *jobs.Client
	ring      *sealed.Ring
	hasher    *sealed.Hasher
	tokens    *identity.Tokens
	outbox    *mail.Outbox
	settings  Settings
	now       func() time.Time
	erasers   []Eraser
	partners  Partners // nil: nobody is told
	audiences AudienceKeys
}

// NewService returns the membership service. Its workers come from
// AddWorkers, and RunSignups carries out the signups queued.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	work := deps.Work
	if work == nil {
		work = db
	}
	s := &Service{db: db, work: work, jobs: deps.Jobs, ring: deps.Ring, hasher: deps.Hasher, tokens: deps.Tokens, outbox: deps.Outbox,
		audiences: deps.Audiences, settings: settings, now: now, kick: make(chan struct{}, 1), inserts: &signupInserts{db: db}}
	if deps.Outbox != nil {
		deps.Outbox.ComposeWith(s.composeLink, linkTemplates...)
	}
	return s
}

func (s *Service) withTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return store.WithTx(ctx, s.db, fn)
}

// emailHash is the keyed hash members are found and deduplicated by.
func (s *Service) emailHash(dedupe string) []byte { return s.hasher.Hash("member-email", dedupe) }

// Sealing contexts bind each sealed value to its member and column.
func emailContext(id uuid.UUID) string { return "members.email:" + id.String() }
func sensitiveContext(id uuid.UUID, column string) string {
	return "member_sensitive." + column + ":" + id.String()
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// memberFromRow opens a member row.
func (s *Service) memberFromRow(r store.Member) (*Member, error) {
	email, err := s.ring.OpenString(r.EmailSealed, emailContext(r.ID))
	if err != nil {
		return nil, fmt.Errorf("open member %s email: %w", r.ID, err)
	}
	return &Member{ID: r.ID, Email: email, Name: store.Text(r.Name), Organisation: store.Text(r.Organisation), RoleTitle: store.Text(r.RoleTitle),
		Audiences: r.Audiences, Region: store.Text(r.Region), Interests: r.Interests, EmailFrequency: r.EmailFrequency, Status: r.Status,
		Source: r.Source, SourceOrganisationID: r.SourceOrganisationID, CreatedAt: r.CreatedAt, ConfirmedAt: r.ConfirmedAt, UnsubscribedAt: r.UnsubscribedAt}, nil
}

func (s *Service) sealSensitive(id uuid.UUID, in *Sensitive) (harmed, experience, access []byte) {
	return s.ring.SealString(in.Harmed, sensitiveContext(id, "harmed")),
		s.ring.SealString(in.Experience, sensitiveContext(id, "experience")),
		s.ring.SealString(in.AccessibilityNeeds, sensitiveContext(id, "accessibility_needs"))
}

func (s *Service) openSensitive(r store.MemberSensitive) (*Sensitive, error) {
	var out Sensitive
	var err error
	if out.Harmed, err = s.ring.OpenString(r.HarmedSealed, sensitiveContext(r.MemberID, "harmed")); err != nil {
		return nil, err
	}
	if out.Experience, err = s.ring.OpenString(r.ExperienceSealed, sensitiveContext(r.MemberID, "experience")); err != nil {
		return nil, err
	}
	if out.AccessibilityNeeds, err = s.ring.OpenString(r.AccessibilityNeedsSealed, sensitiveContext(r.MemberID, "accessibility_needs")); err != nil {
		return nil, err
	}
	return &out, nil
}

var errNoMember = hpa.Errorf(hpa.ENOTFOUND, "no member with that ID")

func (s *Service) get(ctx context.Context, db store.DBTX, id uuid.UUID) (store.Member, error) {
	row, err := store.Q.MemberGetByID(ctx, db, id)
	if store.IsNotFound(err) {
		return row, errNoMember
	}
	if err != nil {
		return row, fmt.Errorf("get member: %w", err)
	}
	return row, nil
}
