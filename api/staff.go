package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/identity"
)

type staffMember struct {
	ID          string     `json:"id" format:"uuid"`
	Email       string     `json:"email" format:"email"`
	DisplayName string     `json:"display_name"`
	Roles       []string   `json:"roles" doc:"admin, editor, membership, treasurer, analyst."`
	Active      bool       `json:"active" doc:"Disabled accounts cannot sign in."`
	Invited     bool       `json:"invited" doc:"True until the invitation is accepted."`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

func staffMemberBody(m *identity.StaffMember) staffMember {
	roles := make([]string, len(m.Roles))
	for i, r := range m.Roles {
		roles[i] = string(r)
	}
	return staffMember{ID: m.ID.String(), Email: m.Email, DisplayName: m.DisplayName, Roles: roles, Active: m.Active,
		Invited: m.Invited, LastLoginAt: m.LastLoginAt, CreatedAt: m.CreatedAt}
}

type staffList struct {
	Items []staffMember `json:"items"`
}

type inviteInput struct {
	Body struct {
		Email       string   `json:"email" format:"email" maxLength:"254"`
		DisplayName string   `json:"display_name" minLength:"1" maxLength:"100"`
		Roles       []string `json:"roles" minItems:"1" maxItems:"5" uniqueItems:"true" enum:"admin,editor,membership,treasurer,analyst"`
	}
}

type invitation struct {
	Staff           staffMember `json:"staff"`
	InvitationToken string      `json:"invitation_token" doc:"Shown once. Give it to the person; they set their password with POST /v1/auth/invitations/accept."`
	ExpiresAt       time.Time   `json:"expires_at"`
}

type staffIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Staff member ID."`
}

type staffUpdateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Staff member ID."`
	Body struct {
		DisplayName *string  `json:"display_name,omitempty" minLength:"1" maxLength:"100"`
		Roles       []string `json:"roles,omitempty" minItems:"1" maxItems:"5" uniqueItems:"true" enum:"admin,editor,membership,treasurer,analyst"`
		Active      *bool    `json:"active,omitempty" doc:"false disables the account and ends its sessions."`
	}
}

var adminOnly = staffWith(identity.RoleAdmin)

func registerStaff(hapi huma.API, ids identityService) {
	register(hapi, adminOnly, huma.Operation{
		OperationID: "list-staff",
		Method:      http.MethodGet,
		Path:        "/v1/staff",
		Summary:     "List staff accounts",
		Tags:        []string{"Staff"},
		Description: "Every staff account, active or not.",
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body staffList }, error) {
		all, err := ids.List(ctx)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body staffList }{Body: staffList{Items: make([]staffMember, len(all))}}
		for i, m := range all {
			out.Body.Items[i] = staffMemberBody(m)
		}
		return out, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID:   "invite-staff",
		Method:        http.MethodPost,
		Path:          "/v1/staff",
		Summary:       "Invite a staff member",
		Description:   "Creates an account without a password and returns a one-time invitation token (valid 7 days) for the person to set one.",
		Tags:          []string{"Staff"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *inviteInput) (*struct{ Body invitation }, error) {
		roles, err := identity.ParseRoles(in.Body.Roles)
		if err != nil {
			return nil, err
		}
		m, token, expires, err := ids.Invite(ctx, in.Body.Email, in.Body.DisplayName, roles)
		if err != nil {
			return nil, err
		}
		return &struct{ Body invitation }{Body: invitation{Staff: staffMemberBody(m), InvitationToken: token, ExpiresAt: expires.UTC()}}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "get-staff",
		Method:      http.MethodGet,
		Path:        "/v1/staff/{id}",
		Summary:     "Get a staff account",
		Description: "One staff account.",
		Tags:        []string{"Staff"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *staffIDInput) (*staffOutput, error) {
		id, err := parseID(in.ID, "staff member")
		if err != nil {
			return nil, err
		}
		m, err := ids.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return &staffOutput{Body: staffMemberBody(m)}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "update-staff",
		Method:      http.MethodPatch,
		Path:        "/v1/staff/{id}",
		Summary:     "Change a staff account's name, roles or status",
		Description: "Only the fields sent change. Roles replace the current set. The last active admin cannot be demoted or disabled (409 `last-admin`).",
		Tags:        []string{"Staff"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *staffUpdateInput) (*staffOutput, error) {
		id, err := parseID(in.ID, "staff member")
		if err != nil {
			return nil, err
		}
		u := identity.StaffUpdate{DisplayName: in.Body.DisplayName, Active: in.Body.Active}
		if in.Body.Roles != nil {
			if u.Roles, err = identity.ParseRoles(in.Body.Roles); err != nil {
				return nil, err
			}
		}
		m, err := ids.Update(ctx, id, u)
		if err != nil {
			return nil, err
		}
		return &staffOutput{Body: staffMemberBody(m)}, nil
	})
}
