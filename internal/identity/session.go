package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Session is what a login or refresh hands the client.
type Session struct {
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
}

// errBadCredentials is the one answer to every failed login, whatever the
// reason (unknown email, wrong password, disabled or not yet activated
// account), so the answer never tells an attacker whether an account
// exists.
var errBadCredentials = hpa.Errorf(hpa.EUNAUTHORIZED, "the email or password is not right, or the account cannot sign in").WithReason(ReasonInvalidCredentials)

var errBadRefresh = hpa.Errorf(hpa.EUNAUTHORIZED, "the refresh token is not valid; sign in again").WithReason(ReasonInvalidToken)

// Login checks an email and password and starts a session. Every path
// computes one argon2id hash and, for an address that keeps failing,
// waits the same bounded delay, so timing does not reveal whether the
// email belongs to an account. The right password always signs in.
func (s *Service) Login(ctx context.Context, email, password string) (*Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	key := s.failureKey(email)
	failures, err := store.Q.LoginFailureCount(ctx, s.db, store.LoginFailureCountParams{EmailHash: key, Since: s.now().Add(-s.settings.FailureMemory)})
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	// Held the same whether the password is right: answering a right guess
	// sooner would tell a guesser when to stop waiting. The clock is the
	// real one because the wait is.
	delay := s.settings.slowdown(int(failures))
	defer waitUntil(ctx, time.Now().Add(delay))

	row, err := store.Q.StaffGetByEmail(ctx, s.db, email)
	if err != nil && !store.IsNotFound(err) {
		return nil, fmt.Errorf("login: %w", err)
	}
	found := err == nil
	encoded := ""
	if found && row.PasswordHash != nil {
		encoded = *row.PasswordHash
	}
	ok, rehash := s.hasher.Verify(password, encoded)
	if !found || !ok || !row.Active {
		var account *store.Staff
		reason := "unknown-account"
		if found {
			account, reason = &row, "wrong-password"
			if !row.Active {
				reason = "disabled"
			}
		}
		if err := s.recordFailure(ctx, key, account, reason); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	var newHash *string
	if rehash {
		if h, err := s.hasher.Hash(password); err == nil {
			newHash = &h // cost settings changed: upgrade the stored hash now that we know the password
		}
	}
	var session *Session
	err = s.withTx(ctx, func(tx pgx.Tx) error {
		if err := store.Q.StaffRecordLogin(ctx, tx, store.StaffRecordLoginParams{ID: row.ID, Now: s.now(), PasswordHash: newHash}); err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		if err := store.Q.LoginFailureClear(ctx, tx, key); err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		var err error
		if session, err = s.startSession(ctx, tx, row.ID, uuid.New(), rolesOf(row)); err != nil {
			return err
		}
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorStaff, ID: row.ID}, audit.Event{Action: "auth.login", TargetType: "staff", TargetID: row.ID.String(),
			Details: map[string]any{"rehashed": newHash != nil, "after_failures": failures, "delayed_ms": delay.Milliseconds()}})
	})
	return session, err
}

func rolesOf(r store.Staff) []Role {
	out := make([]Role, len(r.Roles))
	for i, x := range r.Roles {
		out[i] = Role(x)
	}
	return out
}

// startSession issues an access token and a refresh token in family.
func (s *Service) startSession(ctx context.Context, tx pgx.Tx, staffID, family uuid.UUID, roles []Role) (*Session, error) {
	access, accessExp, err := s.tokens.issue(AudienceStaff, staffID.String(), family.String(), roles, s.settings.AccessTTL)
	if err != nil {
		return nil, err
	}
	refresh := "hpa_rt_" + randomToken(32)
	refreshExp := s.now().Add(s.settings.RefreshTTL)
	if err := store.Q.RefreshTokenInsert(ctx, tx, store.RefreshTokenInsertParams{TokenHash: hashSecret(refresh), FamilyID: family, StaffID: staffID, ExpiresAt: refreshExp}); err != nil {
		return nil, fmt.Errorf("store refresh token: %w", err)
	}
	return &Session{AccessToken: access, AccessExpiresAt: accessExp, RefreshToken: refresh, RefreshExpiresAt: refreshExp}, nil
}

// Refresh exchanges a refresh token for a new session in the same family.
// A token presented a second time means it was copied: the whole family is
// revoked, so both the thief and the owner must sign in again.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	var session *Session
	var reused *store.RefreshToken
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		tok, err := store.Q.RefreshTokenGetForUpdate(ctx, tx, hashSecret(refreshToken))
		if store.IsNotFound(err) {
			return errBadRefresh
		}
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		now := s.now()
		if tok.UsedAt != nil || tok.RevokedAt != nil {
			reused = &tok
			return nil
		}
		if !tok.ExpiresAt.After(now) {
			return errBadRefresh
		}
		staff, err := store.Q.StaffGetByID(ctx, tx, tok.StaffID)
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		if !staff.Active {
			return errBadRefresh
		}
		if err := store.Q.RefreshTokenMarkUsed(ctx, tx, store.RefreshTokenMarkUsedParams{TokenHash: tok.TokenHash, Now: now}); err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		session, err = s.startSession(ctx, tx, staff.ID, tok.FamilyID, rolesOf(staff))
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused != nil {
		// Outside the transaction above so the revocation is committed even
		// though the request fails.
		err := s.withTx(ctx, func(tx pgx.Tx) error {
			n, err := store.Q.RefreshTokenRevokeFamily(ctx, tx, store.RefreshTokenRevokeFamilyParams{FamilyID: reused.FamilyID, Now: s.now()})
			if err != nil {
				return fmt.Errorf("revoke token family: %w", err)
			}
			return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorAnonymous}, audit.Event{Action: "auth.refresh_reuse", TargetType: "staff", TargetID: reused.StaffID.String(), Details: map[string]any{"revoked": n}})
		})
		if err != nil {
			return nil, err
		}
		s.sessionsEnded()
		return nil, errBadRefresh
	}
	return session, nil
}

// Logout ends the session the refresh token belongs to. Unknown tokens are
// accepted silently: logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	defer s.sessionsEnded()
	return s.withTx(ctx, func(tx pgx.Tx) error {
		tok, err := store.Q.RefreshTokenGetForUpdate(ctx, tx, hashSecret(refreshToken))
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		if _, err := store.Q.RefreshTokenRevokeFamily(ctx, tx, store.RefreshTokenRevokeFamilyParams{FamilyID: tok.FamilyID, Now: s.now()}); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorStaff, ID: tok.StaffID}, audit.Event{Action: "auth.logout", TargetType: "staff", TargetID: tok.StaffID.String()})
	})
}

// ChangePassword replaces the caller's password after checking the current
// one, and ends every session so other devices must sign in again.
func (s *Service) ChangePassword(ctx context.Context, staffID uuid.UUID, current, next string) error {
	if reason := CheckPasswordRules(next); reason != "" {
		return hpa.Invalid("body.new_password", reason)
	}
	row, err := store.Q.StaffGetByID(ctx, s.db, staffID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	encoded := ""
	if row.PasswordHash != nil {
		encoded = *row.PasswordHash
	}
	if ok, _ := s.hasher.Verify(current, encoded); !ok {
		return hpa.Errorf(hpa.EFORBIDDEN, "the current password is not right").WithReason(ReasonWrongPassword)
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	defer s.sessionsEnded()
	return s.withTx(ctx, func(tx pgx.Tx) error {
		if err := store.Q.StaffSetPassword(ctx, tx, store.StaffSetPasswordParams{ID: staffID, PasswordHash: hash}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := store.Q.RefreshTokenRevokeStaff(ctx, tx, store.RefreshTokenRevokeStaffParams{StaffID: staffID, Now: s.now()}); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "auth.password_change", TargetType: "staff", TargetID: staffID.String()})
	})
}

// PurgeExpired deletes refresh tokens past their expiry, for the retention
// job.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	n, err := store.Q.RefreshTokenDeleteExpired(ctx, s.db, s.now())
	if err != nil {
		return 0, fmt.Errorf("purge refresh tokens: %w", err)
	}
	return n, nil
}
