package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
)

// memberAuthenticator verifies member self-service tokens.
type memberAuthenticator interface {
	AuthenticateMember(ctx context.Context, token string) (*identity.Caller, error)
}

// authenticator turns credentials into callers; identity.Service is one.
type authenticator interface {
	AuthenticateStaff(ctx context.Context, token string) (*identity.Caller, error)
	AuthenticateKey(ctx context.Context, key string) (*identity.Caller, identity.KeyUse, error)
}

type callerKey struct{}

// callerFrom returns the request's authenticated caller, nil if anonymous.
func callerFrom(ctx context.Context) *identity.Caller {
	c, _ := ctx.Value(callerKey{}).(*identity.Caller)
	return c
}

// authorize is the single place access policies are enforced. It runs for
// every operation: an operation registered without a policy is refused to
// everyone (fail closed), and the matrix test fails.
func (s *server) authorize(ctx huma.Context, next func(huma.Context)) {
	policy, ok := ctx.Operation().Metadata[accessMetadataKey].(access)
	if !ok {
		s.deny(ctx, http.StatusForbidden, hpa.Errorf(hpa.EFORBIDDEN, "this operation has no access policy"))
		return
	}
	caller, use, err := s.authenticate(ctx, policy)
	switch {
	case err == nil:
	case policy.public:
		next(ctx) // a stale token must not break public pages
		return
	case hpa.ErrorCode(err) != hpa.EUNAUTHORIZED:
		// The credentials could not be checked (the database is away, say):
		// no fault of the caller's, and no 401 that would send them to sign
		// in again. api/errors.go says what it is.
		_ = huma.WriteErr(s.hapi, ctx, http.StatusInternalServerError, "", err)
		return
	default:
		s.deny(ctx, http.StatusUnauthorized, err)
		return
	}
	if !policy.allows(caller) {
		if caller == nil {
			s.deny(ctx, http.StatusUnauthorized, hpa.Errorf(hpa.EUNAUTHORIZED, "this operation needs credentials: %s", strings.TrimPrefix(policy.describe(), "**Access:** ")).WithReason("credentials-required"))
		} else {
			s.deny(ctx, http.StatusForbidden, hpa.Errorf(hpa.EFORBIDDEN, "your credentials do not allow this operation").WithReason("insufficient-permissions"))
		}
		return
	}
	if caller != nil && caller.Kind == identity.APIKey {
		if !use.OriginAllowed(ctx.Header("Origin")) {
			s.deny(ctx, http.StatusForbidden, hpa.Errorf(hpa.EFORBIDDEN, "this API key may not be used from this origin").WithReason("origin-not-allowed"))
			return
		}
	}
	if caller != nil {
		c := context.WithValue(ctx.Context(), callerKey{}, caller)
		ctx = huma.WithContext(ctx, audit.WithActor(c, caller.AuditActor()))
	}
	next(ctx)
}

// authenticate reads the bearer token or API key, if any. A request
// carrying both is refused: which one speaks would be ambiguous.
func (s *server) authenticate(ctx huma.Context, policy access) (*identity.Caller, identity.KeyUse, error) {
	if s.auth == nil { // only when describing the API, never when serving
		return nil, identity.KeyUse{}, nil
	}
	bearer, hasBearer := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
	key := ctx.Header("X-API-Key")
	switch {
	case hasBearer && key != "":
		return nil, identity.KeyUse{}, hpa.Errorf(hpa.EUNAUTHORIZED, "send either a bearer token or an API key, not both")
	case hasBearer:
		// Staff and member tokens differ by audience. Whichever this one
		// is, a valid token identifies its caller, so using it on the
		// wrong kind of operation is a 403, not a 401.
		token := strings.TrimSpace(bearer)
		c, staffErr := s.auth.AuthenticateStaff(ctx.Context(), token)
		if staffErr == nil || s.members == nil {
			return c, identity.KeyUse{}, staffErr
		}
		c, memberErr := s.members.AuthenticateMember(ctx.Context(), token)
		if memberErr == nil {
			return c, identity.KeyUse{}, nil
		}
		if policy.member {
			return nil, identity.KeyUse{}, memberErr
		}
		return nil, identity.KeyUse{}, staffErr
	case key != "":
		if done := stateOf(ctx.Context()).key; done != nil && done.key == key {
			return done.caller, done.use, done.err
		}
		return s.auth.AuthenticateKey(ctx.Context(), key)
	case ctx.Header("Authorization") != "":
		return nil, identity.KeyUse{}, hpa.Errorf(hpa.EUNAUTHORIZED, "the Authorization header must be `Bearer <token>`")
	}
	return nil, identity.KeyUse{}, nil
}

// deny answers with a problem; 401s say how to authenticate.
func (s *server) deny(ctx huma.Context, status int, err error) {
	if status == http.StatusUnauthorized {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="hpa", ApiKey realm="hpa" header="X-API-Key"`)
	}
	_ = huma.WriteErr(s.hapi, ctx, status, err.Error(), err)
}
