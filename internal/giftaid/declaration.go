package giftaid

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// Scope is what a declaration covers.
type Scope string

// The scopes HMRC's model declarations offer.
const (
	ScopeThisGift               Scope = "this_gift"
	ScopeThisAndFuture          Scope = "this_and_future"
	ScopePastFourYearsAndFuture Scope = "past_four_years_and_future"
)

// Method is how the donor made the declaration.
type Method string

// Methods. An oral declaration counts when the call was recorded, or
// once the written record has been sent to the donor and the donor's 30
// days to cancel it have passed.
const (
	MethodOnline  Method = "online"
	MethodOral    Method = "oral"
	MethodWritten Method = "written"
)

// NonUKPostcode is what HMRC wants in the postcode field for donors who
// live outside the UK.
const NonUKPostcode = "X"

// Person is the donor's details HMRC requires on a claim.
type Person struct {
	Title             string `json:"title,omitempty"`
	FirstName         string `json:"first_name"`
	LastName          string `json:"last_name"`
	HouseNameOrNumber string `json:"house_name_or_number"`
	Postcode          string `json:"postcode"`
}

// NewDeclaration is a declaration to record.
type NewDeclaration struct {
	Person
	Scope          Scope
	Method         Method
	WordingVersion string
	// UKTaxpayer must be true: the donor confirms paying enough UK tax.
	UKTaxpayer         bool
	DeclaredOn         time.Time
	ConfirmationSentOn *time.Time
	// RecordingReference names the auditable recording of an oral
	// declaration (HMRC then needs no written record).
	RecordingReference string
	DonorID            *uuid.UUID
	MemberID           *uuid.UUID
	RecordedBy         *uuid.UUID
}

// Declaration is a stored declaration, opened.
type Declaration struct {
	ID             uuid.UUID
	DonorID        *uuid.UUID
	MemberID       *uuid.UUID
	Person         Person
	Scope          Scope
	Method         Method
	WordingVersion string
	Wording        string
	DeclaredOn     time.Time
	// ConfirmationSentOn is when the written record of an oral declaration
	// was sent.
	ConfirmationSentOn *time.Time
	RecordingReference string
	CancelledAt        *time.Time
	// CancelledRetrospectively: the donor cancelled an oral declaration
	// within 30 days of its written record, so it never covered a gift.
	CancelledRetrospectively bool
	RetainUntil              time.Time
	CreatedAt                time.Time
}

var ukPostcode = regexp.MustCompile(`^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$`)

// NormalisePostcode returns a UK postcode in capitals with one space
// (S19 2BD), or X for a donor outside the UK; ok is false for anything else.
func NormalisePostcode(raw string) (string, bool) {
	p := strings.ToUpper(strings.Join(strings.Fields(raw), " "))
	if p == NonUKPostcode {
		return p, true
	}
	m := ukPostcode.FindStringSubmatch(strings.ReplaceAll(p, " ", ""))
	if m == nil {
		return "", false
	}
	return m[1] + " " + m[2], true
}

// Validate checks the declaration meets HMRC's requirements and normalises
// it. prefix locates fields in errors, such as "body" or "body.gift_aid".
func (n *NewDeclaration) Validate(prefix string) error {
	var fields []hpa.FieldError
	bad := func(field, msg string) {
		fields = append(fields, hpa.FieldError{Location: prefix + "." + field, Message: msg})
	}
	text := func(field string, v *string, required bool, max int) {
		*v = strings.Join(strings.Fields(*v), " ")
		switch {
		case required && *v == "":
			bad(field, "is required for Gift Aid (HMRC)")
		case utf8.RuneCountInString(*v) > max:
			bad(field, fmt.Sprintf("must be at most %d characters (HMRC)", max))
		case strings.ContainsAny(*v, "\"<>;=@\\") || strings.HasPrefix(*v, "+") || strings.HasPrefix(*v, "-"):
			// These would also let a value act as a formula when the
			// schedule is opened in a spreadsheet.
			bad(field, "must not contain \" < > ; = @ or \\, nor start with + or -")
		}
	}
	text("title", &n.Title, false, 4)
	text("first_name", &n.FirstName, true, 35)
	text("last_name", &n.LastName, true, 35)
	text("house_name_or_number", &n.HouseNameOrNumber, true, 40)
	if pc, ok := NormalisePostcode(n.Postcode); ok {
		n.Postcode = pc
	} else {
		bad("postcode", "must be a UK postcode such as S19 2BD, or X if the donor lives outside the UK")
	}
	switch n.Scope {
	case ScopeThisGift, ScopeThisAndFuture, ScopePastFourYearsAndFuture:
	default:
		bad("scope", "must be this_gift, this_and_future or past_four_years_and_future")
	}
	text("recording_reference", &n.RecordingReference, false, 200)
	switch n.Method {
	case MethodOnline, MethodWritten:
		if n.ConfirmationSentOn != nil {
			bad("confirmation_sent_on", "is for oral declarations only: the date their written record was sent")
		}
		if n.RecordingReference != "" {
			bad("recording_reference", "is for oral declarations only: the recording of the call")
		}
	case MethodOral:
		if n.ConfirmationSentOn != nil && n.RecordingReference != "" {
			bad("confirmation_sent_on", "an oral declaration rests on a recording of the call or on the written record sent, not both")
		}
		if n.ConfirmationSentOn != nil && !n.DeclaredOn.IsZero() && n.ConfirmationSentOn.Before(dateOf(n.DeclaredOn)) {
			bad("confirmation_sent_on", "must not be before the declaration was made")
		}
	default:
		bad("method", "must be online, oral or written")
	}
	if _, ok := Wording(n.WordingVersion, n.Scope); !ok {
		bad("wording_version", "must be a declaration wording this API publishes (GET /v1/gift-aid/wording)")
	}
	if !n.UKTaxpayer {
		bad("uk_taxpayer", "must be true: only UK taxpayers' gifts qualify for Gift Aid")
	}
	if len(fields) > 0 {
		return &hpa.Error{Code: hpa.EINVALID, Reason: ReasonGiftAidDeclarationIncomplete, Message: "the Gift Aid declaration does not meet HMRC's requirements", Fields: fields}
	}
	return nil
}

// retainFrom is when records that rely on something done at t may go:
// six years later (HMRC), at the earliest.
func retainFrom(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y+6, m, d, 0, 0, 0, 0, time.UTC)
}
