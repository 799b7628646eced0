package identity

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// StaffMember is a staff account as the API shows it.
type StaffMember struct {
	ID          uuid.UUID
	Email       string
	DisplayName string
	Roles       []Role
	Active      bool
	// Invited is true until the invitation is accepted and a password set.
	Invited     bool
	LastLoginAt *time.Time
	CreatedAt   time.Time
}

func staffFromRow(r store.Staff) *StaffMember {
	roles := make([]Role, len(r.Roles))
	for i, x := range r.Roles {
		roles[i] = Role(x)
	}
	return &StaffMember{ID: r.ID, Email: r.Email, DisplayName: r.DisplayName, Roles: roles, Active: r.Active,
		Invited: r.PasswordHash == nil, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt}
}

func roleNames(roles []Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// CreateAdmin creates an active staff account with a password, for the
// `hpa admin create` command.
func (s *Service) CreateAdmin(ctx context.Context, email, name, password string, roles []Role) (*StaffMember, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return nil, err
	}
	if reason := CheckPasswordRules(password); reason != "" {
		return nil, hpa.Invalid("password", reason)
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	var out *StaffMember
	err = s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.StaffInsert(ctx, tx, store.StaffInsertParams{Email: email, DisplayName: name, PasswordHash: &hash, Roles: roleNames(roles)})
		if store.IsUniqueViolation(err, "staff_email_key") {
			return hpa.Errorf(hpa.ECONFLICT, "a staff account with that email already exists").WithReason(ReasonEmailTaken)
		}
		if err != nil {
			return fmt.Errorf("create staff: %w", err)
		}
		out = staffFromRow(row)
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorSystem}, audit.Event{
			Action: "staff.create", TargetType: "staff", TargetID: row.ID.String(), Details: map[string]any{"roles": row.Roles, "via": "cli"},
		})
	})
	return out, err
}

// Invite creates a staff account without a password and returns the
// one-time invitation token (valid for InviteTTL); the invitation is also
// emailed when SendInvitationsWith was called.
func (s *Service) Invite(ctx context.Context, email, name string, roles []Role) (*StaffMember, string, time.Time, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	token := "hpa_inv_" + randomToken(32)
	expires := s.now().Add(s.settings.InviteTTL)
	var out *StaffMember
	err = s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.StaffInsert(ctx, tx, store.StaffInsertParams{Email: email, DisplayName: name, Roles: roleNames(roles)})
		if store.IsUniqueViolation(err, "staff_email_key") {
			return hpa.Errorf(hpa.ECONFLICT, "a staff account with that email already exists").WithReason(ReasonEmailTaken)
		}
		if err != nil {
			return fmt.Errorf("invite staff: %w", err)
		}
		if err := store.Q.StaffTokenInsert(ctx, tx, store.StaffTokenInsertParams{TokenHash: hashSecret(token), StaffID: row.ID, Purpose: "invite", ExpiresAt: expires}); err != nil {
			return fmt.Errorf("store invitation: %w", err)
		}
		out = staffFromRow(row)
		if err := s.mailInvitation(ctx, tx, out, token); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "staff.invite", TargetType: "staff", TargetID: row.ID.String(), Details: map[string]any{"roles": row.Roles}})
	})
	if err != nil {
		return nil, "", time.Time{}, err
	}
	return out, token, expires, nil
}

// AcceptInvite sets the invited account's password. The token works once.
func (s *Service) AcceptInvite(ctx context.Context, token, password string) error {
	if reason := CheckPasswordRules(password); reason != "" {
		return hpa.Invalid("body.password", reason)
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	return s.withTx(ctx, func(tx pgx.Tx) error {
		staffID, err := store.Q.StaffTokenUse(ctx, tx, store.StaffTokenUseParams{TokenHash: hashSecret(token), Purpose: "invite", Now: s.now()})
		if store.IsNotFound(err) {
			return &hpa.Error{Code: hpa.EINVALID, Reason: ReasonInvalidInvitation, Message: "the invitation is not valid: it may have expired or been used",
				Fields: []hpa.FieldError{{Location: "body.token", Message: "unknown, used or expired"}}}
		}
		if err != nil {
			return fmt.Errorf("use invitation: %w", err)
		}
		if err := store.Q.StaffSetPassword(ctx, tx, store.StaffSetPasswordParams{ID: staffID, PasswordHash: hash}); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorStaff, ID: staffID}, audit.Event{Action: "staff.invite_accept", TargetType: "staff", TargetID: staffID.String()})
	})
}

// Get returns one staff member.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*StaffMember, error) {
	row, err := store.Q.StaffGetByID(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no staff member with that ID")
	}
	if err != nil {
		return nil, fmt.Errorf("get staff: %w", err)
	}
	return staffFromRow(row), nil
}

// StaffHolds reports whether id is an active staff account holding any of
// roles (admin holds them all), read from db now, so that another
// capability can check, within its own transaction, that someone it is
// about to trust with a role's data holds that role. Unknown accounts do
// not.
func StaffHolds(ctx context.Context, db store.DBTX, id uuid.UUID, roles ...Role) (bool, error) {
	row, err := store.Q.StaffGetByID(ctx, db, id)
	if store.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("staff roles: %w", err)
	}
	return row.Active && (&Caller{Kind: Staff, ID: id, Roles: rolesOf(row)}).HasRole(roles...), nil
}

// List returns every staff member.
func (s *Service) List(ctx context.Context) ([]*StaffMember, error) {
	rows, err := store.Q.StaffList(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out := make([]*StaffMember, len(rows))
	for i, r := range rows {
		out[i] = staffFromRow(r)
	}
	return out, nil
}

// StaffUpdate changes what is set.
type StaffUpdate struct {
	DisplayName *string
	Roles       []Role // nil: unchanged
	Active      *bool
}

// Update changes a staff member's name, roles or status on an admin's
// behalf. Disabling an account ends its sessions. The last active admin
// cannot be demoted or disabled, so the charity can never lock itself out.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u StaffUpdate) (*StaffMember, error) {
	defer s.sessionsEnded()
	var out *StaffMember
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		before, err := store.Q.StaffGetByID(ctx, tx, id)
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no staff member with that ID")
		}
		if err != nil {
			return fmt.Errorf("get staff: %w", err)
		}
		p := store.StaffUpdateParams{ID: id, DisplayName: u.DisplayName, Active: u.Active}
		if u.Roles != nil {
			p.Roles = roleNames(u.Roles)
		}
		row, err := store.Q.StaffUpdate(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("update staff: %w", err)
		}
		wasAdmin := before.Active && slices.Contains(before.Roles, string(RoleAdmin))
		isAdmin := row.Active && slices.Contains(row.Roles, string(RoleAdmin))
		if wasAdmin && !isAdmin {
			n, err := store.Q.StaffCountActiveAdmins(ctx, tx)
			if err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if n == 0 {
				return hpa.Errorf(hpa.ECONFLICT, "this is the last active admin; make someone else admin first").WithReason(ReasonLastAdmin)
			}
		}
		if before.Active && !row.Active {
			if _, err := store.Q.RefreshTokenRevokeStaff(ctx, tx, store.RefreshTokenRevokeStaffParams{StaffID: id, Now: s.now()}); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		out = staffFromRow(row)
		details := map[string]any{}
		if u.Roles != nil {
			details["roles_before"], details["roles"] = before.Roles, row.Roles
		}
		if u.Active != nil {
			details["active"] = row.Active
		}
		if u.DisplayName != nil {
			details["display_name_changed"] = true
		}
		return audit.Record(ctx, tx, audit.Event{Action: "staff.update", TargetType: "staff", TargetID: id.String(), Details: details})
	})
	return out, err
}
