package visits

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ShareReports are the reports a shared link may read: the summary, the
// time series, and a breakdown by each of these dimensions. They are the
// aggregate reports that show one attribute of visits at a time. The
// referrer (an external page's address, which can name a person, such as
// a profile page) is not among them, nor are realtime figures, custom
// properties, goals, ad-hoc funnels, filters across dimensions or exports.
// Saved funnels a link reads are listed apart (Share.Funnels).
var ShareReports = []string{"summary", "timeseries", "page", "entry_page", "source", "utm_source", "utm_medium",
	"utm_campaign", "utm_content", "utm_term", "country", "device", "browser", "os", "event_name"}

// ShareSessionTTL is how long unlocking a password-protected link lasts.
const ShareSessionTTL = time.Hour

// shareTokenPrefix starts every shared link's token, so that one found in
// a log or a paste is recognisable.
const shareTokenPrefix = "hpa_share_"

// passwordHasher hashes and checks passwords with argon2id; identity's
// Hasher is one.
type passwordHasher interface {
	Hash(password string) (string, error)
	Verify(password, encoded string) (ok, rehash bool)
}

// Shares keeps the read-only links to the statistics that admins create.
type Shares struct {
	pool   *pgxpool.Pool
	hasher passwordHasher
	random io.Reader
	now    func() time.Time
}

// NewShares returns the shared links kept in pool, with passwords hashed
// by hasher and tokens drawn from random (crypto/rand.Reader in service).
func NewShares(pool *pgxpool.Pool, hasher passwordHasher, random io.Reader, now func() time.Time) *Shares {
	if random == nil {
		random = rand.Reader
	}
	return &Shares{pool: pool, hasher: hasher, random: random, now: now}
}

// Share is a shared link, without its token.
type Share struct {
	ID          uuid.UUID
	Name        string
	HasPassword bool
	// Reports are those the link may read; empty for every ShareReports.
	Reports []string
	// Funnels are the saved funnels the link reads, by name: none unless
	// an admin listed them, whether or not Reports is limited.
	Funnels   []SavedFunnel
	ExpiresAt *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// NewShare is what an admin gives to create a link.
type NewShare struct {
	Name      string
	Password  string
	Reports   []string
	Funnels   []uuid.UUID
	ExpiresAt *time.Time
}

// Allows reports whether the link may read report.
func (sh Share) Allows(report string) bool {
	return slices.Contains(ShareReports, report) && (len(sh.Reports) == 0 || slices.Contains(sh.Reports, report))
}

// Create makes a link and returns it with its token, which is kept only
// as a hash: this is the one time anyone sees it.
func (s *Shares) Create(ctx context.Context, in NewShare) (Share, string, error) {
	var errs []hpa.FieldError
	bad := func(field, msg string) { errs = append(errs, hpa.FieldError{Location: "body." + field, Message: msg}) }
	if in.Name == "" || len(in.Name) > 100 || strings.TrimSpace(in.Name) != in.Name {
		bad("name", "must be 1 to 100 bytes of text, without leading or trailing spaces")
	}
	if n := utf8.RuneCountInString(in.Password); in.Password != "" && (n < 12 || n > 256 || strings.TrimSpace(in.Password) == "") {
		bad("password", "must be 12 to 256 characters, not only spaces")
	}
	for i, r := range in.Reports {
		if !slices.Contains(ShareReports, r) {
			bad(fmt.Sprintf("reports[%d]", i), "unknown report; use summary, timeseries or a dimension: "+strings.Join(ShareReports[2:], ", "))
		} else if slices.Index(in.Reports, r) != i {
			bad(fmt.Sprintf("reports[%d]", i), "listed twice")
		}
	}
	for i, id := range in.Funnels {
		if slices.Index(in.Funnels, id) != i {
			bad(fmt.Sprintf("funnels[%d]", i), "listed twice")
		}
	}
	if len(in.Funnels) > MaxSavedFunnels {
		bad("funnels", fmt.Sprintf("at most %d funnels", MaxSavedFunnels))
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		bad("expires_at", "must be in the future")
	}
	if len(errs) > 0 {
		return Share{}, "", &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: errs}
	}
	token, err := s.token()
	if err != nil {
		return Share{}, "", err
	}
	var passwordHash *string
	if in.Password != "" {
		h, err := s.hasher.Hash(in.Password)
		if err != nil {
			return Share{}, "", fmt.Errorf("hash share password: %w", err)
		}
		passwordHash = &h
	}
	reports := in.Reports
	if reports == nil {
		reports = []string{}
	}
	var sh Share
	err = store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := store.Q.VisitShareInsert(ctx, tx, store.VisitShareInsertParams{Name: in.Name, TokenHash: hashToken(token),
			PasswordHash: passwordHash, Reports: reports, ExpiresAt: in.ExpiresAt})
		if err != nil {
			return fmt.Errorf("create share: %w", err)
		}
		sh = shareOf(row)
		if sh.Funnels, err = addShareFunnels(ctx, tx, row.ID, in.Funnels); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "stats_share.create", TargetType: "stats_share", TargetID: row.ID.String(),
			Details: map[string]any{"reports": reports, "funnels": in.Funnels, "password": passwordHash != nil, "expires_at": in.ExpiresAt}})
	})
	return sh, token, err
}

// List lists every link, revoked and expired ones included, newest first.
func (s *Shares) List(ctx context.Context) ([]Share, error) {
	rows, err := store.Q.VisitShareList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	out := make([]Share, len(rows))
	for i, r := range rows {
		out[i] = shareOf(r)
	}
	return out, s.withFunnels(ctx, out)
}

// Revoke stops a link working at once; it stays listed, revoked.
func (s *Shares) Revoke(ctx context.Context, id uuid.UUID) (Share, error) {
	var sh Share
	err := store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := store.Q.VisitShareRevoke(ctx, tx, store.VisitShareRevokeParams{ID: id, Now: s.now()})
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no shared link has this ID")
		}
		if err != nil {
			return fmt.Errorf("revoke share: %w", err)
		}
		sh = shareOf(row)
		return audit.Record(ctx, tx, audit.Event{Action: "stats_share.revoke", TargetType: "stats_share", TargetID: id.String()})
	})
	return sh, err
}

// Open finds the link a token opens: one that exists, is not revoked and
// has not expired. Its password, if any, is not checked here.
func (s *Shares) Open(ctx context.Context, token string) (Share, error) {
	row, err := s.find(ctx, token)
	if err != nil {
		return Share{}, err
	}
	out := []Share{shareOf(row)}
	if err := s.withFunnels(ctx, out); err != nil {
		return Share{}, err
	}
	return out[0], nil
}

func (s *Shares) find(ctx context.Context, token string) (store.VisitShare, error) {
	row, err := store.Q.VisitShareGetByTokenHash(ctx, s.pool, hashToken(token))
	if store.IsNotFound(err) {
		return row, hpa.Errorf(hpa.ENOTFOUND, "no shared link has this token: check it was copied whole")
	}
	if err != nil {
		return row, fmt.Errorf("find share: %w", err)
	}
	switch {
	case row.RevokedAt != nil:
		return row, hpa.Errorf(hpa.EFORBIDDEN, "this shared link was revoked; ask HPA for a new one").WithReason("forbidden")
	case row.ExpiresAt != nil && !row.ExpiresAt.After(s.now()):
		return row, hpa.Errorf(hpa.EFORBIDDEN, "this shared link expired on %s; ask HPA for a new one", row.ExpiresAt.UTC().Format(time.RFC3339)).WithReason("forbidden")
	}
	return row, nil
}

// Unlock checks a password-protected link's password and returns a
// session token that reads it for ShareSessionTTL.
func (s *Shares) Unlock(ctx context.Context, token, password string) (string, time.Time, error) {
	row, err := s.find(ctx, token)
	if err != nil {
		return "", time.Time{}, err
	}
	if row.PasswordHash == nil {
		return "", time.Time{}, hpa.Invalid("body.password", "this link has no password: read it with its token alone")
	}
	if ok, _ := s.hasher.Verify(password, *row.PasswordHash); !ok {
		return "", time.Time{}, hpa.Errorf(hpa.EFORBIDDEN, "the password is not this link's").WithReason("wrong-password")
	}
	session, err := s.token()
	if err != nil {
		return "", time.Time{}, err
	}
	expires := s.now().Add(ShareSessionTTL)
	if _, err := store.Q.VisitShareSessionsPurge(ctx, s.pool, s.now()); err != nil {
		return "", time.Time{}, fmt.Errorf("purge share sessions: %w", err)
	}
	if err := store.Q.VisitShareSessionInsert(ctx, s.pool, store.VisitShareSessionInsertParams{
		TokenHash: hashToken(session), ShareID: row.ID, ExpiresAt: expires}); err != nil {
		return "", time.Time{}, fmt.Errorf("start share session: %w", err)
	}
	return session, expires, nil
}

// Authorize checks that token (with session, for a link with a password)
// may read report and returns its link.
func (s *Shares) Authorize(ctx context.Context, token, session, report string) (Share, error) {
	sh, err := s.unlocked(ctx, token, session)
	if err != nil {
		return Share{}, err
	}
	if !sh.Allows(report) {
		return Share{}, hpa.Errorf(hpa.EFORBIDDEN, "this link does not share the %s report", report).WithReason("insufficient-permissions")
	}
	return sh, nil
}

// unlocked finds the link token opens and, for a link with a password,
// checks session.
func (s *Shares) unlocked(ctx context.Context, token, session string) (Share, error) {
	row, err := s.find(ctx, token)
	if err != nil {
		return Share{}, err
	}
	if row.PasswordHash != nil {
		if session == "" {
			return Share{}, hpa.Errorf(hpa.EUNAUTHORIZED, "this link has a password: unlock it first and send the session in X-Share-Session").WithReason("credentials-required")
		}
		valid, err := store.Q.VisitShareSessionValid(ctx, s.pool, store.VisitShareSessionValidParams{
			TokenHash: hashToken(session), ShareID: row.ID, Now: s.now()})
		if err != nil {
			return Share{}, fmt.Errorf("check share session: %w", err)
		}
		if !valid {
			return Share{}, hpa.Errorf(hpa.EUNAUTHORIZED, "the session has expired or is not this link's: unlock the link again").WithReason("invalid-token")
		}
	}
	return shareOf(row), nil
}

func (s *Shares) token() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return "", fmt.Errorf("draw token: %w", err)
	}
	return shareTokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what is kept of a token: it has 256 bits of entropy, so a
// plain hash cannot be reversed by guessing.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func shareOf(r store.VisitShare) Share {
	return Share{ID: r.ID, Name: r.Name, HasPassword: r.PasswordHash != nil, Reports: r.Reports,
		ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt}
}
