package identity

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// APIKeyInfo describes a key without its secret.
type APIKeyInfo struct {
	ID                 uuid.UUID
	OrganisationID     uuid.UUID
	Name               string
	Prefix             string // the key's first characters, to recognise it
	Scopes             []Scope
	AllowedOrigins     []string
	RateLimitPerMinute int
	ExpiresAt          *time.Time
	RevokedAt          *time.Time
	LastUsedAt         *time.Time
	CreatedAt          time.Time
}

func keyFromRow(r store.ApiKey, prefix string) *APIKeyInfo {
	scopes := make([]Scope, len(r.Scopes))
	for i, x := range r.Scopes {
		scopes[i] = Scope(x)
	}
	return &APIKeyInfo{ID: r.ID, OrganisationID: r.OrganisationID, Name: r.Name, Prefix: prefix + r.LookupID,
		Scopes: scopes, AllowedOrigins: r.AllowedOrigins, RateLimitPerMinute: int(r.RateLimitPerMinute),
		ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, LastUsedAt: r.LastUsedAt, CreatedAt: r.CreatedAt}
}

// NewAPIKey is what an admin chooses when creating a key.
type NewAPIKey struct {
	OrganisationID     uuid.UUID
	Name               string
	Scopes             []Scope
	AllowedOrigins     []string
	RateLimitPerMinute int
	ExpiresAt          *time.Time
}

const lookupIDLen = 12

// lookupID reports whether s could be a key's lookup ID (lower-case
// letters and digits, see CreateAPIKey), so that no other text, such as
// bytes that are not UTF-8, is ever looked up.
func lookupID(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// CreateAPIKey creates a key and returns it with its secret, which is
// shown this once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, createdBy uuid.UUID, in NewAPIKey) (*APIKeyInfo, string, error) {
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return nil, "", hpa.Invalid("body.expires_at", "must be in the future")
	}
	if len(in.AllowedOrigins) > 0 {
		for _, sc := range in.Scopes {
			if !slices.Contains(PublishableScopes, sc) {
				return nil, "", hpa.Invalid("body.scopes", "a key restricted to browser origins sits in a web page for anyone to copy, so it may hold members:signup only; give the partner a separate key for its server")
			}
		}
	}
	lookup := strings.ToLower(randomToken(16))
	lookup = strings.NewReplacer("-", "", "_", "").Replace(lookup)[:lookupIDLen]
	key := s.settings.KeyPrefix + lookup + randomToken(32)
	scopes := make([]string, len(in.Scopes))
	for i, sc := range in.Scopes {
		scopes[i] = string(sc)
	}
	origins := in.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	var creator *uuid.UUID
	if createdBy != uuid.Nil {
		creator = &createdBy
	}
	var info *APIKeyInfo
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		if _, err := store.Q.OrganisationGet(ctx, tx, in.OrganisationID); store.IsNotFound(err) {
			return hpa.Invalid("body.organisation_id", "no organisation with that ID")
		} else if err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		row, err := store.Q.APIKeyInsert(ctx, tx, store.APIKeyInsertParams{
			OrganisationID: in.OrganisationID, Name: in.Name, LookupID: lookup, KeyHash: hashSecret(key),
			Scopes: scopes, AllowedOrigins: origins, RateLimitPerMinute: int32(in.RateLimitPerMinute),
			ExpiresAt: in.ExpiresAt, CreatedBy: creator,
		})
		if err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		info = keyFromRow(row, s.settings.KeyPrefix)
		return audit.Record(ctx, tx, audit.Event{Action: "api_key.create", TargetType: "api_key", TargetID: row.ID.String(),
			Details: map[string]any{"organisation_id": in.OrganisationID, "scopes": scopes}})
	})
	if err != nil {
		return nil, "", err
	}
	return info, key, nil
}

// ListAPIKeys returns keys, all or one organisation's.
func (s *Service) ListAPIKeys(ctx context.Context, organisationID *uuid.UUID) ([]*APIKeyInfo, error) {
	rows, err := store.Q.APIKeyList(ctx, s.db, organisationID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]*APIKeyInfo, len(rows))
	for i, r := range rows {
		out[i] = keyFromRow(r, s.settings.KeyPrefix)
	}
	return out, nil
}

// GetAPIKey returns one key's description.
func (s *Service) GetAPIKey(ctx context.Context, id uuid.UUID) (*APIKeyInfo, error) {
	row, err := store.Q.APIKeyGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no API key with that ID")
	}
	if err != nil {
		return nil, fmt.Errorf("get key: %w", err)
	}
	return keyFromRow(row, s.settings.KeyPrefix), nil
}

// RevokeAPIKey stops a key working, at once and for good.
func (s *Service) RevokeAPIKey(ctx context.Context, id uuid.UUID) (*APIKeyInfo, error) {
	var info *APIKeyInfo
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.APIKeyRevoke(ctx, tx, store.APIKeyRevokeParams{ID: id, Now: s.now()})
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no API key with that ID")
		}
		if err != nil {
			return fmt.Errorf("revoke key: %w", err)
		}
		info = keyFromRow(row, s.settings.KeyPrefix)
		return audit.Record(ctx, tx, audit.Event{Action: "api_key.revoke", TargetType: "api_key", TargetID: id.String()})
	})
	return info, err
}

// keyEntry is the cached part of a key that authentication needs.
type keyEntry struct {
	found         bool
	id, org       uuid.UUID
	hash          []byte
	scopes        []Scope
	origins       []string
	ratePerMinute int
	expiresAt     *time.Time
	revoked       bool
}

var errBadKey = hpa.Errorf(hpa.EUNAUTHORIZED, "the API key is not valid: it may be mistyped, expired or revoked").WithReason(ReasonInvalidApiKey)

// KeyUse is what AuthenticateKey learns about a key besides the caller.
type KeyUse struct {
	RateLimitPerMinute int
	AllowedOrigins     []string
}

// AuthenticateKey checks an API key and returns its caller. The key is
// found by its lookup ID and proven by comparing hashes in constant time.
// Recently used keys are served from memory; revocation and changes reach
// every process through the identity change notification.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (*Caller, KeyUse, error) {
	rest, ok := strings.CutPrefix(key, s.settings.KeyPrefix)
	if !ok || len(rest) <= lookupIDLen || !lookupID(rest[:lookupIDLen]) {
		return nil, KeyUse{}, errBadKey
	}
	lookup := rest[:lookupIDLen]
	entry, err := s.keys.Get(ctx, lookup, func(ctx context.Context) (*keyEntry, error) {
		row, err := store.Q.APIKeyGetByLookupID(ctx, s.db, lookup)
		if store.IsNotFound(err) {
			return &keyEntry{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load API key: %w", err)
		}
		scopes := make([]Scope, len(row.Scopes))
		for i, x := range row.Scopes {
			scopes[i] = Scope(x)
		}
		return &keyEntry{found: true, id: row.ID, org: row.OrganisationID, hash: row.KeyHash, scopes: scopes,
			origins: row.AllowedOrigins, ratePerMinute: int(row.RateLimitPerMinute), expiresAt: row.ExpiresAt, revoked: row.RevokedAt != nil}, nil
	})
	if err != nil {
		return nil, KeyUse{}, fmt.Errorf("authenticate key: %w", err)
	}
	valid := entry.found && subtle.ConstantTimeCompare(hashSecret(key), entry.hash) == 1
	if !valid || entry.revoked || (entry.expiresAt != nil && !entry.expiresAt.After(s.now())) {
		return nil, KeyUse{}, errBadKey
	}
	s.touchKey(entry.id)
	return &Caller{Kind: APIKey, ID: entry.id, OrganisationID: entry.org, Scopes: entry.scopes},
		KeyUse{RateLimitPerMinute: entry.ratePerMinute, AllowedOrigins: entry.origins}, nil
}

// touchKey records last_used_at at most once a minute per key per process,
// in the background: a request never waits for this write.
func (s *Service) touchKey(id uuid.UUID) {
	now := s.now()
	if last, ok := s.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	s.touched.Store(id, now)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = store.Q.APIKeyTouch(ctx, s.db, store.APIKeyTouchParams{ID: id, Now: now})
	}()
}

// OriginAllowed reports whether a request with this Origin header ("" for
// none) may use a key. Keys without allowed origins are for servers and
// scripts and work from anywhere. A key with allowed origins is a
// publishable key for a partner's web page: it works only from those
// origins, and not without an Origin header, so a browser on another site
// cannot use it. That is no authentication: anyone who copies the key
// from the page can send any Origin from a script, which is why such keys
// may hold the members:signup scope only (see CreateAPIKey).
func (u KeyUse) OriginAllowed(origin string) bool {
	return len(u.AllowedOrigins) == 0 || slices.Contains(u.AllowedOrigins, origin)
}

// PublishableScopes are the scopes a key restricted to browser origins may
// hold: it sits in a web page for anyone to copy.
var PublishableScopes = []Scope{ScopeMembersSignup}

// KeyOrigin reports whether origin is an allowed origin of a usable key,
// so that browsers on a partner's page get CORS answers for it. The set is
// kept in memory and reloaded after any change to keys.
func (s *Service) KeyOrigin(ctx context.Context, origin string) (bool, error) {
	origins, err := s.origins.Get(ctx, "", func(ctx context.Context) (map[string]bool, error) {
		rows, err := store.Q.APIKeyOriginsLive(ctx, s.db)
		if err != nil {
			return nil, fmt.Errorf("key origins: %w", err)
		}
		set := make(map[string]bool, len(rows))
		for _, o := range rows {
			set[o] = true
		}
		return set, nil
	})
	return origins[origin], err
}
