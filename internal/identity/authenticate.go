package identity

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// staffEntry is the cached part of a staff record that authorisation
// needs: status, roles, and the sessions ended recently enough that their
// access tokens may not have expired yet.
type staffEntry struct {
	active  bool
	roles   []Role
	revoked map[uuid.UUID]struct{}
}

var errBadAccessToken = hpa.Errorf(hpa.EUNAUTHORIZED, "the access token is not valid or has expired").WithReason(ReasonInvalidToken)

// AuthenticateStaff verifies a staff access token and returns the caller
// with the account's current roles. Tokens of disabled accounts and of
// ended sessions (logout, password change, refresh-token reuse) are refused
// at once. The account comes from a cache that every identity change
// empties through NOTIFY, so the common request makes no query; while
// notifications are not arriving, every request reads the database.
func (s *Service) AuthenticateStaff(ctx context.Context, token string) (*Caller, error) {
	claims, err := s.tokens.Parse(token, AudienceStaff)
	if err != nil {
		return nil, errBadAccessToken
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return nil, errBadAccessToken
	}
	// A staff token without a session could never be revoked: refuse it.
	session, err := uuid.Parse(claims.SessionID)
	if err != nil {
		return nil, errBadAccessToken
	}
	entry, err := s.staff.Get(ctx, claims.Subject, func(ctx context.Context) (*staffEntry, error) {
		return s.loadStaffEntry(ctx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("authenticate staff: %w", err)
	}
	if _, ended := entry.revoked[session]; ended || !entry.active {
		return nil, errBadAccessToken
	}
	return &Caller{Kind: Staff, ID: id, Roles: entry.roles}, nil
}

func (s *Service) loadStaffEntry(ctx context.Context, id uuid.UUID) (*staffEntry, error) {
	// A session revoked before this could only have access tokens issued
	// before it, and those have expired.
	since := s.now().Add(-s.settings.AccessTTL - clockSkew)
	row, err := store.Q.StaffGetForAuth(ctx, s.db, store.StaffGetForAuthParams{ID: id, Since: since})
	if store.IsNotFound(err) {
		return &staffEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load staff member %s: %w", id, err)
	}
	e := &staffEntry{active: row.Active, roles: make([]Role, len(row.Roles)), revoked: make(map[uuid.UUID]struct{}, len(row.RevokedSessions))}
	for i, r := range row.Roles {
		e.roles[i] = Role(r)
	}
	for _, sid := range row.RevokedSessions {
		e.revoked[sid] = struct{}{}
	}
	return e, nil
}

// sessionsEnded forgets cached accounts after this process ended sessions
// or changed an account. NOTIFY tells every process, this one included,
// but only after a round trip: this process must refuse the ended
// session's next request, which may already be on its way.
func (s *Service) sessionsEnded() { s.staff.Reset() }
