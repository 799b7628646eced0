package api

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/members"
)

// membersService is what the membership operations need.
type membersService interface {
	Signup(ctx context.Context, in members.Signup) error
	Confirm(ctx context.Context, token string) (*members.Confirmed, error)
	RequestSignInLink(ctx context.Context, email string) error
	RedeemSignInLink(ctx context.Context, token string) (*members.Confirmed, error)
	AuthenticateMember(ctx context.Context, token string) (*identity.Caller, error)
	Unsubscribe(ctx context.Context, token string) error
	Me(ctx context.Context, id uuid.UUID) (*members.Member, *members.Sensitive, error)
	UpdateProfile(ctx context.Context, id uuid.UUID, c members.ProfileChange, source string) (*members.Member, error)
	Export(ctx context.Context, id uuid.UUID) (*members.Record, error)
	Erase(ctx context.Context, id uuid.UUID) error
	List(ctx context.Context, f members.Filter) ([]*members.Member, error)
	Get(ctx context.Context, id uuid.UUID, withSensitive bool) (*members.Record, error)
	UpdateByStaff(ctx context.Context, id uuid.UUID, c members.ProfileChange) (*members.Member, error)
	AddNote(ctx context.Context, id, author uuid.UUID, body string) (*members.Note, error)
	Stats(ctx context.Context) (*members.Stats, error)
	ExportSegment(ctx context.Context, purpose, audience string) ([]byte, int, error)
	Import(ctx context.Context, r io.Reader, dryRun bool) (*members.ImportReport, error)
	sharingService
}

type consentText struct {
	Purpose string `json:"purpose" enum:"membership,interests,special-category,partner-sharing"`
	Version string `json:"version" example:"2026-11-01"`
	Text    string `json:"text"`
	SHA256  string `json:"sha256" doc:"Hex SHA-256 of text, as recorded with each consent."`
}

type consentTextList struct {
	Items []consentText `json:"items"`
}

type specialCategory struct {
	Harmed             string `json:"harmed,omitempty" enum:"yes,family,no,prefer-not-to-say" doc:"Were you, or your family, harmed by healthcare?"`
	Experience         string `json:"experience,omitempty" maxLength:"10000" doc:"In your own words, if you wish."`
	AccessibilityNeeds string `json:"accessibility_needs,omitempty" maxLength:"2000"`
}

// SignupFields is a signup's body (exported so huma documents its fields
// where it is embedded in the partner variant).
type SignupFields struct {
	Email                  string           `json:"email" format:"email" maxLength:"254" example:"sam@example.org"`
	Name                   string           `json:"name" minLength:"1" maxLength:"200" example:"Sam Jones"`
	Organisation           string           `json:"organisation,omitempty" maxLength:"200"`
	RoleTitle              string           `json:"role_title,omitempty" maxLength:"200"`
	Audiences              []string         `json:"audiences,omitempty" maxItems:"20" uniqueItems:"true" example:"[\"harmed-patient-family\"]" doc:"Audience keys (the key of each audience in GET /v1/audiences)."`
	Region                 Region           `json:"region,omitempty"`
	Interests              []Interest       `json:"interests,omitempty" maxItems:"6" uniqueItems:"true"`
	ConsentVersion         string           `json:"consent_version" maxLength:"20" example:"2026-11-01" doc:"The version of the consent texts shown (GET /v1/consent-texts)."`
	MembershipConsent      bool             `json:"membership_consent,omitempty" doc:"Must be true: the person agreed to the membership text. Optional in the schema only so that leaving it out is answered like false, with consent-required."`
	SpecialCategoryConsent bool             `json:"special_category_consent,omitempty" doc:"Separate explicit consent to hold special_category details; required to send them."`
	SpecialCategory        *specialCategory `json:"special_category,omitempty"`
}

type signupInput struct {
	IdempotencyKey
	RawBody []byte
	Body    SignupFields
}

type partnerSignupInput struct {
	IdempotencyKey
	RawBody []byte
	Body    struct {
		SignupFields
		PartnerSharingConsent bool `json:"partner_sharing_consent,omitempty" doc:"The person agreed HPA may tell your organisation they joined."`
	}
}

type signupAccepted struct {
	Status  string `json:"status" enum:"received"`
	Message string `json:"message"`
}

var signupReceived = signupAccepted{Status: "received",
	Message: "Thank you. If this address can join, we have sent it an email: the membership starts when the link in it is used."}

type tokenInput struct {
	Body struct {
		Token string `json:"token" minLength:"1" maxLength:"200"`
	}
}

type memberSession struct {
	Status      string    `json:"status" enum:"active"`
	MemberToken string    `json:"member_token" doc:"Send as Authorization: Bearer <member_token> to the /v1/me operations."`
	ExpiresAt   time.Time `json:"expires_at"`
}

type unsubscribed struct {
	Status string `json:"status" enum:"unsubscribed"`
}

type emailInput struct {
	Body struct {
		Email string `json:"email" format:"email" maxLength:"254"`
	}
}

type unsubscribeInput struct {
	Token string `query:"token" required:"true" minLength:"1" maxLength:"200" doc:"The token from the email's unsubscribe link."`
}

func (s SignupFields) toSignup() (members.Signup, error) {
	if !s.MembershipConsent {
		return members.Signup{}, hpa.Invalid("body.membership_consent", "must be true: joining needs the person's agreement to the membership text").WithReason("consent-required")
	}
	in := members.Signup{Email: s.Email, ConsentVersion: s.ConsentVersion, SpecialCategoryConsent: s.SpecialCategoryConsent,
		Profile: members.Profile{Name: s.Name, Organisation: s.Organisation, RoleTitle: s.RoleTitle, Audiences: s.Audiences, Region: string(s.Region), Interests: enumValues(s.Interests)}}
	if s.SpecialCategory != nil {
		in.Sensitive = &members.Sensitive{Harmed: s.SpecialCategory.Harmed, Experience: s.SpecialCategory.Experience, AccessibilityNeeds: s.SpecialCategory.AccessibilityNeeds}
	}
	return in, nil
}

func registerMembers(hapi huma.API, svc membersService, orgs identityService, idem idempotencyStore, limitSignups *addressLimit) {
	register(hapi, public, huma.Operation{
		OperationID: "list-consent-texts",
		Method:      http.MethodGet,
		Path:        "/v1/consent-texts",
		Summary:     "The consent texts in force",
		Description: "The exact wording people agree to when they join, with its version. Show it, and send its version as consent_version. " + staticCachingNote,
		Tags:        []string{"Members"},
		Responses:   encodedResponses[consentTextList](hapi, "The consent texts in force."),
		Metadata:    map[string]any{noDatabaseKey: true, cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		var out consentTextList
		for _, t := range members.ConsentTexts {
			out.Items = append(out.Items, consentText{Purpose: t.Purpose, Version: t.Version, Text: t.Text, SHA256: hex.EncodeToString(t.Hash())})
		}
		return hashedDocument(ctx, in.IfNoneMatch, out, publicCacheControl)
	})

	register(hapi, public, huma.Operation{
		OperationID: "create-member",
		Method:      http.MethodPost,
		Path:        "/v1/members",
		Summary:     "Join HPA",
		Description: "Signs someone up from HPA's website. The answer is the same, and takes the same time, whether or not the address is already a member (the signup is queued and carried out in the background), and nothing stored is ever overwritten: a new address gets a confirmation email (double opt-in), an existing member a \"you're already a member\" email with a sign-in link (valid 15 minutes, like every sign-in link). At most one such email goes to an address per hour, and a token exists only if the email carrying it is sent. Special-category details (harm, experience, accessibility) need special_category_consent. Send an Idempotency-Key to retry safely.",
		Tags:        []string{"Members"},
		Middlewares: huma.Middlewares{limitSignups.middleware},
		Metadata:    map[string]any{rateLimitKey: limitSignups.policy},
		Responses:   map[string]*huma.Response{"202": jsonResponse[signupAccepted](hapi, "Received; an email is on its way if the address can join.")},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *signupInput) (*replayableOutput, error) {
		signup, err := in.Body.toSignup()
		if err != nil {
			return nil, err
		}
		signup.Source = members.SourceSite
		return idempotent(ctx, idem, "create-member", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusAccepted, func(ctx context.Context) (any, error) {
			return signupReceived, svc.Signup(ctx, signup)
		})
	})

	register(hapi, keyWith(identity.ScopeMembersSignup), huma.Operation{
		OperationID: "create-partner-member",
		Method:      http.MethodPost,
		Path:        "/v1/partner/members",
		Summary:     "Sign someone up from a partner's system",
		Description: "As POST /v1/members, for partner organisations: the key's organisation is recorded as the source. See docs/partners.md.",
		Tags:        []string{"Members"},
		Responses:   map[string]*huma.Response{"202": jsonResponse[signupAccepted](hapi, "Received; an email is on its way if the address can join.")},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *partnerSignupInput) (*replayableOutput, error) {
		signup, err := in.Body.toSignup()
		if err != nil {
			return nil, err
		}
		caller := callerFrom(ctx)
		signup.Source, signup.SourceKeyID, signup.SourceOrganisationID = members.SourcePartner, &caller.ID, &caller.OrganisationID
		signup.PartnerSharing = in.Body.PartnerSharingConsent
		if signup.PartnerSharing {
			org, err := orgs.GetOrganisation(ctx, caller.OrganisationID)
			if err != nil {
				return nil, err
			}
			signup.SourceOrganisationName = org.Name
		}
		return idempotent(ctx, idem, "create-partner-member", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusAccepted, func(ctx context.Context) (any, error) {
			return signupReceived, svc.Signup(ctx, signup)
		})
	})

	register(hapi, public, huma.Operation{
		OperationID: "confirm-member",
		Method:      http.MethodPost,
		Path:        "/v1/members/confirm",
		Summary:     "Confirm a membership",
		Description: "Uses the token from the confirmation email (once, within 48 hours) and returns a member token, so the new member can set preferences straight away.",
		Tags:        []string{"Members"},
	}, func(ctx context.Context, in *tokenInput) (*struct{ Body memberSession }, error) {
		c, err := svc.Confirm(ctx, in.Body.Token)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberSession }{Body: memberSession{Status: "active", MemberToken: c.Token, ExpiresAt: c.ExpiresAt.UTC()}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID:   "request-member-sign-in",
		Method:        http.MethodPost,
		Path:          "/v1/members/sign-in-link",
		Summary:       "Email a member a sign-in link",
		Description:   "Members have no passwords: this emails a single-use link, valid 15 minutes. The answer is the same, and takes the same time, whether or not the address is a member (the request is queued; a background job decides whether to send); at most one link per address every two minutes, and a request within those two minutes mints no token.",
		Tags:          []string{"Members"},
		DefaultStatus: http.StatusAccepted,
		Middlewares:   huma.Middlewares{limitSignups.middleware},
		Metadata:      map[string]any{rateLimitKey: limitSignups.policy},
	}, func(ctx context.Context, in *emailInput) (*struct{}, error) {
		return nil, svc.RequestSignInLink(ctx, in.Body.Email)
	})

	register(hapi, public, huma.Operation{
		OperationID: "member-sign-in",
		Method:      http.MethodPost,
		Path:        "/v1/members/sign-in",
		Summary:     "Exchange a sign-in link for a member token",
		Description: "Uses the token from a sign-in email (once) and returns a member token valid for an hour.",
		Tags:        []string{"Members"},
	}, func(ctx context.Context, in *tokenInput) (*struct{ Body memberSession }, error) {
		c, err := svc.RedeemSignInLink(ctx, in.Body.Token)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberSession }{Body: memberSession{Status: "active", MemberToken: c.Token, ExpiresAt: c.ExpiresAt.UTC()}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "unsubscribe",
		Method:      http.MethodPost,
		Path:        "/v1/unsubscribe",
		Summary:     "One-click unsubscribe",
		Description: "The target of every member email's List-Unsubscribe header (RFC 8058: mail clients POST `List-Unsubscribe=One-Click`; the body is ignored), and what the website's unsubscribe page (`/members/unsubscribe?token=…`, the emails' footer link) calls with the token it receives. Stops all email to the member; using the link again is harmless. " +
			"Unlike every other operation, it ignores query parameters other than `token` rather than refusing them: a mail client or a relay rewriting links may add its own, and an unsubscribe must never fail for one.",
		Tags:     []string{"Members"},
		Metadata: map[string]any{anyQueryKey: true},
	}, func(ctx context.Context, in *unsubscribeInput) (*struct{ Body unsubscribed }, error) {
		if err := svc.Unsubscribe(ctx, in.Token); err != nil {
			return nil, err
		}
		return &struct{ Body unsubscribed }{Body: unsubscribed{Status: "unsubscribed"}}, nil
	})
}
