package members

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// Interests a member can ask to hear about.
var Interests = []string{"surveys", "listening-events", "webinars", "research-opportunities", "campaigning-news", "general-news"}

// Regions of the UK (and outside it).
var Regions = []string{"england", "scotland", "wales", "northern-ireland", "outside-uk"}

// Frequencies a member can choose for alert emails.
var Frequencies = []string{"as-it-happens", "weekly-digest", "monthly-digest"}

// Statuses of a membership.
const (
	StatusPending      = "pending"
	StatusActive       = "active"
	StatusUnsubscribed = "unsubscribed"
	StatusErased       = "erased"
)

// Sources of a membership.
const (
	SourceSite    = "site"
	SourcePartner = "partner"
	SourceImport  = "import"
	SourceStaff   = "staff"
)

// Member is a member record as staff and the member see it.
type Member struct {
	ID                   uuid.UUID
	Email                string
	Name                 string
	Organisation         string
	RoleTitle            string
	Audiences            []string
	Region               string
	Interests            []string
	EmailFrequency       string
	Status               string
	Source               string
	SourceOrganisationID *uuid.UUID
	CreatedAt            time.Time
	ConfirmedAt          *time.Time
	UnsubscribedAt       *time.Time
}

// Sensitive is special-category data.
type Sensitive struct {
	// Harmed is "yes", "family", "no" or "prefer-not-to-say" ("" unknown):
	// whether the member or their family was harmed by healthcare.
	Harmed             string
	Experience         string
	AccessibilityNeeds string
}

func (s *Sensitive) isZero() bool {
	return s == nil || (s.Harmed == "" && s.Experience == "" && s.AccessibilityNeeds == "")
}

// HarmedAnswers are the allowed answers to "were you harmed".
var HarmedAnswers = []string{"yes", "family", "no", "prefer-not-to-say"}

// Limits on free text, so a form cannot be used to store megabytes.
const (
	maxExperience    = 10_000
	maxAccessibility = 2_000
)

var audienceSlug = regexp.MustCompile(`^[a-z][a-z0-9-]{1,59}$`)

// Profile is what a member (or staff, or a partner at signup) can set.
type Profile struct {
	Name           string
	Organisation   string
	RoleTitle      string
	Audiences      []string
	Region         string
	Interests      []string
	EmailFrequency string
}

func (p *Profile) validate() error {
	var fields []hpa.FieldError
	bad := func(loc, msg string) { fields = append(fields, hpa.FieldError{Location: loc, Message: msg}) }
	if strings.TrimSpace(p.Name) == "" && p.Name != "" {
		bad("body.name", "must not be blank")
	}
	for _, a := range p.Audiences {
		if !audienceSlug.MatchString(a) {
			bad("body.audiences", "entries must be audience keys such as harmed-patient-family")
		}
	}
	for _, i := range p.Interests {
		if !slices.Contains(Interests, i) {
			bad("body.interests", "unknown interest "+i)
		}
	}
	if p.Region != "" && !slices.Contains(Regions, p.Region) {
		bad("body.region", "must be one of "+strings.Join(Regions, ", "))
	}
	if p.EmailFrequency != "" && !slices.Contains(Frequencies, p.EmailFrequency) {
		bad("body.email_frequency", "must be one of "+strings.Join(Frequencies, ", "))
	}
	p.Audiences = dedupe(p.Audiences)
	p.Interests = dedupe(p.Interests)
	if len(fields) > 0 {
		return &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: fields}
	}
	return nil
}

func (s *Sensitive) validate() error {
	if s == nil {
		return nil
	}
	if s.Harmed != "" && !slices.Contains(HarmedAnswers, s.Harmed) {
		return hpa.Invalid("body.special_category.harmed", "must be one of "+strings.Join(HarmedAnswers, ", "))
	}
	if len(s.Experience) > maxExperience {
		return hpa.Invalid("body.special_category.experience", "must be at most 10,000 characters")
	}
	if len(s.AccessibilityNeeds) > maxAccessibility {
		return hpa.Invalid("body.special_category.accessibility_needs", "must be at most 2,000 characters")
	}
	return nil
}

func dedupe(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// NormaliseEmail validates an address (RFC 5322, bare address) and returns
// the form to send to and the form to deduplicate on (hpa.EmailKey). So
// Jane.Doe+hpa@Gmail.com and janedoe@gmail.com are one member, who is
// mailed at the address they gave.
func NormaliseEmail(raw string) (send, dedupe string, err error) {
	raw = strings.TrimSpace(raw)
	a, perr := mail.ParseAddress(raw)
	if perr != nil || a.Address != raw || len(raw) > 254 {
		return "", "", hpa.Invalid("body.email", "must be a valid email address")
	}
	at := strings.LastIndexByte(raw, '@')
	local, domain := raw[:at], strings.ToLower(raw[at+1:])
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", "", hpa.Invalid("body.email", "must be a valid email address")
	}
	send = local + "@" + domain
	return send, hpa.EmailKey(send), nil
}

// CheckAudiences reports any audience key that is not one of the site's
// audiences (GET /v1/audiences), as a validation error at location.
func CheckAudiences(ctx context.Context, db store.DBTX, keys []string, location string) error {
	if len(keys) == 0 {
		return nil
	}
	known, err := store.Q.AudienceKeysKnown(ctx, db, keys)
	if err != nil {
		return fmt.Errorf("check audiences: %w", err)
	}
	return knownAudiences(keys, known, location)
}

// knownAudiences is CheckAudiences once the known keys are found.
func knownAudiences(keys, known []string, location string) error {
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return hpa.Invalid(location, "unknown audience "+k+"; see GET /v1/audiences")
		}
	}
	return nil
}
