package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
)

// identityService is what the identity operations need.
type identityService interface {
	authenticator
	Login(ctx context.Context, email, password string) (*identity.Session, error)
	Refresh(ctx context.Context, refreshToken string) (*identity.Session, error)
	Logout(ctx context.Context, refreshToken string) error
	ChangePassword(ctx context.Context, staffID uuid.UUID, current, next string) error
	AcceptInvite(ctx context.Context, token, password string) error
	Get(ctx context.Context, id uuid.UUID) (*identity.StaffMember, error)
	List(ctx context.Context) ([]*identity.StaffMember, error)
	Invite(ctx context.Context, email, name string, roles []identity.Role) (*identity.StaffMember, string, time.Time, error)
	Update(ctx context.Context, id uuid.UUID, u identity.StaffUpdate) (*identity.StaffMember, error)
	CreateOrganisation(ctx context.Context, name, website, contactEmail string) (*identity.Organisation, error)
	GetOrganisation(ctx context.Context, id uuid.UUID) (*identity.Organisation, error)
	ListOrganisations(ctx context.Context) ([]*identity.Organisation, error)
	CreateAPIKey(ctx context.Context, createdBy uuid.UUID, in identity.NewAPIKey) (*identity.APIKeyInfo, string, error)
	ListAPIKeys(ctx context.Context, organisationID *uuid.UUID) ([]*identity.APIKeyInfo, error)
	GetAPIKey(ctx context.Context, id uuid.UUID) (*identity.APIKeyInfo, error)
	RevokeAPIKey(ctx context.Context, id uuid.UUID) (*identity.APIKeyInfo, error)
	keyOriginChecker
}

type tokenPair struct {
	AccessToken      string    `json:"access_token" doc:"Send as Authorization: Bearer <access_token>."`
	TokenType        string    `json:"token_type" enum:"Bearer"`
	ExpiresIn        int       `json:"expires_in" example:"900" doc:"Seconds until the access token expires."`
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshToken     string    `json:"refresh_token" doc:"Single use: each refresh returns a new one. Keep it secret; reusing an old one ends the session."`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
}

type tokenOutput struct{ Body tokenPair }

func newTokenOutput(s *identity.Session) *tokenOutput {
	return &tokenOutput{Body: tokenPair{
		AccessToken: s.AccessToken, TokenType: "Bearer", ExpiresIn: int(time.Until(s.AccessExpiresAt).Round(time.Second).Seconds()),
		ExpiresAt: s.AccessExpiresAt.UTC(), RefreshToken: s.RefreshToken, RefreshExpiresAt: s.RefreshExpiresAt.UTC(),
	}}
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" example:"editor@example.org"`
		Password string `json:"password" maxLength:"1024" doc:"The account password."`
	}
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" minLength:"1" maxLength:"200"`
	}
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024"`
		NewPassword     string `json:"new_password" minLength:"12" maxLength:"256" doc:"At least 12 characters."`
	}
}

type acceptInviteInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"200" doc:"The invitation token an admin received when inviting you."`
		Password string `json:"password" minLength:"12" maxLength:"256" doc:"At least 12 characters."`
	}
}

type staffOutput struct{ Body staffMember }

// registerAuth registers staff sign-in. Password guessing is limited per
// client address (limitLogins) on top of the per-email-address slow-down
// in identity, which alone would let one client try many accounts.
func registerAuth(hapi huma.API, ids identityService, limitLogins *addressLimit) {
	register(hapi, public, huma.Operation{
		OperationID: "login",
		Method:      http.MethodPost,
		Path:        "/v1/auth/login",
		Summary:     "Sign in as staff",
		Description: "Exchanges a staff email and password for a 15-minute access token and a single-use refresh token. " +
			"Every failure gives the same 401, whether the account exists or not. Accounts are never locked: after 5 failures in a row for an email address, " +
			"every attempt for it, right password or wrong, is answered only after a delay (1 second, doubling per further failure, at most 10 seconds) " +
			"until a sign-in succeeds or an hour passes without failures, and the account's owner is emailed once. " +
			"Attempts are also limited per client address (429).",
		Tags:        []string{"Auth"},
		Middlewares: huma.Middlewares{limitLogins.middleware},
		Metadata:    map[string]any{rateLimitKey: limitLogins.policy},
		Errors:      []int{http.StatusUnauthorized, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *loginInput) (*tokenOutput, error) {
		s, err := ids.Login(ctx, in.Body.Email, in.Body.Password)
		if err != nil {
			return nil, err
		}
		return newTokenOutput(s), nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "refresh-session",
		Method:      http.MethodPost,
		Path:        "/v1/auth/refresh",
		Summary:     "Renew an access token",
		Description: "Exchanges a refresh token for a new access token and a new refresh token. The old refresh token stops working; presenting it again ends the whole session.",
		Tags:        []string{"Auth"},
		Errors:      []int{http.StatusUnauthorized},
	}, func(ctx context.Context, in *refreshInput) (*tokenOutput, error) {
		s, err := ids.Refresh(ctx, in.Body.RefreshToken)
		if err != nil {
			return nil, err
		}
		return newTokenOutput(s), nil
	})

	register(hapi, public, huma.Operation{
		OperationID:   "logout",
		Method:        http.MethodPost,
		Path:          "/v1/auth/logout",
		Summary:       "End a session",
		Description:   "Ends the session: the refresh token, every token renewed from it, and the session's access tokens, which are refused from the next request on, on every instance.",
		Tags:          []string{"Auth"},
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *refreshInput) (*struct{}, error) {
		return nil, ids.Logout(ctx, in.Body.RefreshToken)
	})

	register(hapi, anyStaff, huma.Operation{
		OperationID: "get-me",
		Method:      http.MethodGet,
		Path:        "/v1/auth/me",
		Summary:     "Who am I",
		Description: "The signed-in staff member's account, with current roles.",
		Tags:        []string{"Auth"},
	}, func(ctx context.Context, _ *struct{}) (*staffOutput, error) {
		m, err := ids.Get(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		return &staffOutput{Body: staffMemberBody(m)}, nil
	})

	register(hapi, anyStaff, huma.Operation{
		OperationID:   "change-password",
		Method:        http.MethodPost,
		Path:          "/v1/auth/password",
		Summary:       "Change my password",
		Description:   "Needs the current password. Ends every session of the account, this one included (its access and refresh tokens are refused at once): sign in again afterwards.",
		Tags:          []string{"Auth"},
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *changePasswordInput) (*struct{}, error) {
		return nil, ids.ChangePassword(ctx, callerFrom(ctx).ID, in.Body.CurrentPassword, in.Body.NewPassword)
	})

	register(hapi, public, huma.Operation{
		OperationID:   "accept-invitation",
		Method:        http.MethodPost,
		Path:          "/v1/auth/invitations/accept",
		Summary:       "Accept a staff invitation",
		Description:   "Sets the password of an invited staff account. The invitation works once and expires after 7 days.",
		Tags:          []string{"Auth"},
		DefaultStatus: http.StatusNoContent,
		Middlewares:   huma.Middlewares{limitLogins.middleware},
		Metadata:      map[string]any{rateLimitKey: limitLogins.policy},
	}, func(ctx context.Context, in *acceptInviteInput) (*struct{}, error) {
		return nil, ids.AcceptInvite(ctx, in.Body.Token, in.Body.Password)
	})
}
