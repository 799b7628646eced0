package api

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/members"
)

// memberSelf admits the member themself, with a member token.
var memberSelf = access{member: true}

type memberProfile struct {
	ID             string         `json:"id" format:"uuid"`
	Email          string         `json:"email" format:"email"`
	Name           string         `json:"name"`
	Organisation   string         `json:"organisation,omitempty"`
	RoleTitle      string         `json:"role_title,omitempty"`
	Audiences      []string       `json:"audiences"`
	Region         Region         `json:"region,omitempty"`
	Interests      []Interest     `json:"interests"`
	EmailFrequency EmailFrequency `json:"email_frequency"`
	Status         string         `json:"status" enum:"pending,active,unsubscribed,erased"`
	Source         string         `json:"source" enum:"site,partner,import,staff"`
	JoinedAt       time.Time      `json:"joined_at" doc:"When the signup was made."`
	ConfirmedAt    *time.Time     `json:"confirmed_at,omitempty"`
}

func memberProfileBody(m *members.Member) memberProfile {
	return memberProfile{ID: m.ID.String(), Email: m.Email, Name: m.Name, Organisation: m.Organisation, RoleTitle: m.RoleTitle,
		Audiences: nonNil(m.Audiences), Region: Region(m.Region), Interests: asEnum[Interest](m.Interests), EmailFrequency: EmailFrequency(m.EmailFrequency),
		Status: m.Status, Source: m.Source, JoinedAt: m.CreatedAt, ConfirmedAt: m.ConfirmedAt}
}

type memberSelfView struct {
	Profile         memberProfile    `json:"profile"`
	SpecialCategory *specialCategory `json:"special_category,omitempty" doc:"Present when the member has given these details."`
}

// memberSelfUpdated is what PATCH /v1/me answers: what GET /v1/me
// answers (profile, special_category) and, for clients of 1.0 and 1.1,
// the profile's fields at the top level as they were, deprecated.
type memberSelfUpdated struct {
	MemberProfileFields
	MemberSelfViewFields
}

// MemberProfileFields and MemberSelfViewFields name the types embedded in
// memberSelfUpdated with exported names, which huma flattens as
// encoding/json does.
type (
	MemberProfileFields  = memberProfile
	MemberSelfViewFields = memberSelfView
)

// TransformSchema marks the top-level copies of the profile's fields
// deprecated, leaving profile and special_category as GET /v1/me has them.
func (memberSelfUpdated) TransformSchema(_ huma.Registry, s *huma.Schema) *huma.Schema {
	for name, prop := range s.Properties {
		if name == "profile" || name == "special_category" {
			continue
		}
		deprecated := *prop
		deprecated.Deprecated = true
		deprecated.Description = strings.TrimSpace(deprecated.Description + " Deprecated since 1.2.0: read profile." + name + "; the top-level copy goes in 2.0.0.")
		s.Properties[name] = &deprecated
	}
	return s
}

type consentEvent struct {
	Purpose     string    `json:"purpose" example:"interest:surveys"`
	Granted     bool      `json:"granted"`
	TextVersion string    `json:"text_version"`
	TextSHA256  string    `json:"text_sha256"`
	Source      string    `json:"source"`
	OccurredAt  time.Time `json:"occurred_at"`
}

type memberNote struct {
	ID        int64     `json:"id"`
	AuthorID  string    `json:"author_id" format:"uuid"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

type memberRecord struct {
	Profile         memberProfile    `json:"profile"`
	SpecialCategory *specialCategory `json:"special_category,omitempty"`
	Consents        []consentEvent   `json:"consents"`
	Notes           []memberNote     `json:"notes"`
}

func memberRecordBody(r *members.Record) memberRecord {
	out := memberRecord{Profile: memberProfileBody(r.Member), SpecialCategory: specialCategoryBody(r.Sensitive), Consents: []consentEvent{}, Notes: []memberNote{}}
	for _, c := range r.Consents {
		out.Consents = append(out.Consents, consentEvent{Purpose: c.Purpose, Granted: c.Granted, TextVersion: c.TextVersion,
			TextSHA256: hex.EncodeToString(c.TextHash), Source: c.Source, OccurredAt: c.OccurredAt})
	}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, memberNote{ID: n.ID, AuthorID: n.AuthorID.String(), Body: n.Body, CreatedAt: n.CreatedAt})
	}
	return out
}

func specialCategoryBody(s *members.Sensitive) *specialCategory {
	if s == nil {
		return nil
	}
	return &specialCategory{Harmed: s.Harmed, Experience: s.Experience, AccessibilityNeeds: s.AccessibilityNeeds}
}

// ProfileChangeFields is a partial profile update (exported so huma sees
// its fields where it is embedded).
type ProfileChangeFields struct {
	Name                   *string          `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Organisation           *string          `json:"organisation,omitempty" maxLength:"200" doc:"Empty string clears it."`
	RoleTitle              *string          `json:"role_title,omitempty" maxLength:"200" doc:"Empty string clears it."`
	Audiences              []string         `json:"audiences,omitempty" maxItems:"20" uniqueItems:"true"`
	Region                 *string          `json:"region,omitempty" enum:"england,scotland,wales,northern-ireland,outside-uk,"`
	Interests              []Interest       `json:"interests,omitempty" maxItems:"6" uniqueItems:"true" doc:"Replaces the set; [] stops all interest emails."`
	EmailFrequency         *EmailFrequency  `json:"email_frequency,omitempty"`
	SpecialCategoryConsent *bool            `json:"special_category_consent,omitempty" doc:"false withdraws the consent and deletes the special-category details."`
	SpecialCategory        *specialCategory `json:"special_category,omitempty"`
}

func (f ProfileChangeFields) toChange() members.ProfileChange {
	c := members.ProfileChange{Name: f.Name, Organisation: f.Organisation, RoleTitle: f.RoleTitle, Audiences: f.Audiences, Region: f.Region,
		Interests: enumValues(f.Interests), EmailFrequency: (*string)(f.EmailFrequency), SpecialCategoryConsent: f.SpecialCategoryConsent}
	if f.SpecialCategory != nil {
		c.Sensitive = &members.Sensitive{Harmed: f.SpecialCategory.Harmed, Experience: f.SpecialCategory.Experience, AccessibilityNeeds: f.SpecialCategory.AccessibilityNeeds}
	}
	return c
}

type meUpdateInput struct {
	Body ProfileChangeFields
}

func registerMe(hapi huma.API, svc membersService) {
	register(hapi, memberSelf, huma.Operation{
		OperationID: "get-my-membership",
		Method:      http.MethodGet,
		Path:        "/v1/me",
		Summary:     "My membership",
		Description: "The signed-in member's details, interests and (if given) special-category details.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body memberSelfView }, error) {
		m, sens, err := svc.Me(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberSelfView }{Body: memberSelfView{Profile: memberProfileBody(m), SpecialCategory: specialCategoryBody(sens)}}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID: "update-my-membership",
		Method:      http.MethodPatch,
		Path:        "/v1/me",
		Summary:     "Change my details and what I hear about",
		Description: "Only the fields sent change. Every interest turned on or off, and special-category consent given or withdrawn, is recorded in the consent history. Choosing interests after unsubscribing resubscribes.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, in *meUpdateInput) (*struct{ Body memberSelfUpdated }, error) {
		id := callerFrom(ctx).ID
		if _, err := svc.UpdateProfile(ctx, id, in.Body.toChange(), "self-service"); err != nil {
			return nil, err
		}
		m, sens, err := svc.Me(ctx, id)
		if err != nil {
			return nil, err
		}
		profile := memberProfileBody(m)
		return &struct{ Body memberSelfUpdated }{Body: memberSelfUpdated{MemberProfileFields: profile,
			MemberSelfViewFields: memberSelfView{Profile: profile, SpecialCategory: specialCategoryBody(sens)}}}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID: "export-my-data",
		Method:      http.MethodGet,
		Path:        "/v1/me/export",
		Summary:     "Everything HPA holds about me",
		Description: "A subject access export: profile, special-category details, the whole consent history and staff notes, as JSON.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body memberRecord }, error) {
		r, err := svc.Export(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body memberRecord }{Body: memberRecordBody(r)}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID:   "erase-my-data",
		Method:        http.MethodDelete,
		Path:          "/v1/me",
		Summary:       "Erase me",
		Description:   "Wipes the member's personal data: details, email, special-category data, notes. An anonymous record remains, with a keyed hash of the address so it is never mailed again by mistake; donation and Gift Aid records stay as the law requires. The member token stops working.",
		Tags:          []string{"Self-service"},
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		return nil, svc.Erase(ctx, callerFrom(ctx).ID)
	})
}
