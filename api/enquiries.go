package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
)

// enquiryService is what the enquiry operations need.
type enquiryService interface {
	FormToken() content.FormToken
	Submit(ctx context.Context, in content.EnquiryInput) error
	List(ctx context.Context, f content.EnquiryFilter) ([]content.Enquiry, *content.EnquiryCursor, error)
	Get(ctx context.Context, id uuid.UUID) (*content.Enquiry, error)
	Update(ctx context.Context, id, by uuid.UUID, u content.EnquiryUpdate) (*content.Enquiry, error)
	Delete(ctx context.Context, id uuid.UUID) error
}

// maxEnquiryBytes caps an enquiry's request body: the longest fields fit
// several times over.
const maxEnquiryBytes = 32 << 10

type formTokenBody struct {
	Token     string    `json:"form_token" doc:"Send it back as form_token with the enquiry. It works once."`
	NotBefore time.Time `json:"not_before" doc:"The form cannot be sent before this (a few seconds after it was fetched: people take longer than that to write)."`
	ExpiresAt time.Time `json:"expires_at" doc:"After this the token is refused; fetch a new one."`
}

type enquirySubmitInput struct {
	Body struct {
		Name         string `json:"name" minLength:"1" maxLength:"200" example:"Sam Taylor"`
		Email        string `json:"email" format:"email" maxLength:"254" example:"sam@example.org"`
		Audience     string `json:"audience,omitempty" maxLength:"60" example:"healthcare-professional" doc:"The key of the audience the person belongs to (GET /v1/audiences)."`
		Topic        string `json:"topic" enum:"general,work-with-us,media,research,other"`
		Message      string `json:"message" minLength:"1" maxLength:"5000"`
		ReplyConsent bool   `json:"reply_consent" doc:"Whether the person agrees to be replied to by email."`
		FormToken    string `json:"form_token" minLength:"1" maxLength:"200" doc:"From GET /v1/enquiries/form-token."`
		Website      string `json:"website,omitempty" maxLength:"500" doc:"Leave empty. A trap for bots: render it hidden from people (and from screen readers)."`
	}
}

type enquiryReceived struct {
	Status string `json:"status" enum:"received" doc:"The enquiry was received."`
}

type enquirySummary struct {
	ID           string     `json:"id" format:"uuid"`
	Name         string     `json:"name"`
	Email        string     `json:"email" format:"email"`
	Audience     string     `json:"audience,omitempty"`
	Topic        string     `json:"topic" enum:"general,work-with-us,media,research,other"`
	ReplyConsent bool       `json:"reply_consent"`
	Status       string     `json:"status" enum:"new,handled"`
	AssignedTo   string     `json:"assigned_to,omitempty" format:"uuid" doc:"The staff member looking after it."`
	HandledAt    *time.Time `json:"handled_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

type enquiryDetail struct {
	ID           string     `json:"id" format:"uuid"`
	Name         string     `json:"name"`
	Email        string     `json:"email" format:"email"`
	Audience     string     `json:"audience,omitempty"`
	Topic        string     `json:"topic" enum:"general,work-with-us,media,research,other"`
	Message      string     `json:"message"`
	ReplyConsent bool       `json:"reply_consent"`
	Status       string     `json:"status" enum:"new,handled"`
	AssignedTo   string     `json:"assigned_to,omitempty" format:"uuid"`
	HandledBy    string     `json:"handled_by,omitempty" format:"uuid"`
	HandledAt    *time.Time `json:"handled_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func enquirySummaryBody(e *content.Enquiry) enquirySummary {
	return enquirySummary{ID: e.ID.String(), Name: e.Name, Email: e.Email, Audience: e.Audience, Topic: e.Topic, ReplyConsent: e.ReplyConsent,
		Status: e.Status, AssignedTo: idString(e.AssignedTo), HandledAt: e.HandledAt, CreatedAt: e.CreatedAt}
}

func enquiryDetailBody(e *content.Enquiry) enquiryDetail {
	return enquiryDetail{ID: e.ID.String(), Name: e.Name, Email: e.Email, Audience: e.Audience, Topic: e.Topic, Message: e.Message,
		ReplyConsent: e.ReplyConsent, Status: e.Status, AssignedTo: idString(e.AssignedTo), HandledBy: idString(e.HandledBy),
		HandledAt: e.HandledAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

type enquiryList struct {
	Items      []enquirySummary `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last page."`
}

type enquiryListInput struct {
	PageQuery
	Status     string `query:"status" enum:"new,handled" doc:"Only enquiries with this status."`
	AssignedTo string `query:"assigned_to" format:"uuid" doc:"Only enquiries assigned to this staff member."`
}

// EnquiryIDPath names an enquiry in the path (exported so huma sees its
// field when it is embedded).
type EnquiryIDPath struct {
	ID string `path:"id" maxLength:"64" doc:"Enquiry ID."`
}

type enquiryUpdateInput struct {
	EnquiryIDPath
	Body struct {
		AssignedTo *string `json:"assigned_to,omitempty" maxLength:"64" doc:"A staff member's ID (admin, editor or membership role) to assign it to; empty unassigns."`
		Status     string  `json:"status,omitempty" enum:"new,handled" doc:"handled records who handled it and when; new reopens it."`
	}
}

var enquiryStaff = staffWith(content.EnquiryRoles...)

var enquiryErasers = staffWith(identity.RoleMembership)

// registerEnquiries registers the enquiry form and its staff operations.
// Spam bursts from one address are refused by limit before any work is
// done; attempts refused as too fast or caught by the honeypot give their
// count back, so a person who was too quick still has their allowance.
func registerEnquiries(hapi huma.API, enquiries enquiryService, limit *addressLimit) {
	tags := []string{"Enquiries"}

	register(hapi, public, huma.Operation{
		OperationID: "get-enquiry-form-token",
		Method:      http.MethodGet,
		Path:        "/v1/enquiries/form-token",
		Summary:     "Get a token for the enquiry form",
		Description: "Fetch one when the \"get in touch\" form is shown and send it with the enquiry. It proves the form was open for a few seconds (bots post at once) and works once.",
		Tags:        tags,
		Metadata:    map[string]any{noDatabaseKey: true},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body formTokenBody }, error) {
		t := enquiries.FormToken()
		return &struct{ Body formTokenBody }{Body: formTokenBody{Token: t.Token, NotBefore: t.NotBefore, ExpiresAt: t.ExpiresAt}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "submit-enquiry",
		Method:      http.MethodPost,
		Path:        "/v1/enquiries",
		Summary:     "Send an enquiry (get in touch)",
		Description: "Stores the enquiry and tells HPA's staff by email (without the message: they read it in the staff area). " +
			"Needs a form token from `GET /v1/enquiries/form-token`: sent too soon after fetching it is 422 `form-sent-too-fast` (with Retry-After), " +
			"a used token `form-token-used`, an old one `form-token-expired`, anything else `form-token-invalid`. " +
			"Each client address may send a few enquiries an hour (429 after). Leave `website` empty.",
		Tags:          tags,
		DefaultStatus: http.StatusAccepted,
		MaxBodyBytes:  maxEnquiryBytes,
		Middlewares:   huma.Middlewares{limit.middleware},
		Metadata:      map[string]any{rateLimitKey: limit.policy},
	}, func(ctx context.Context, in *enquirySubmitInput) (*struct{ Body enquiryReceived }, error) {
		b := in.Body
		err := enquiries.Submit(ctx, content.EnquiryInput{Name: b.Name, Email: b.Email, Audience: b.Audience, Topic: b.Topic,
			Message: b.Message, ReplyConsent: b.ReplyConsent, FormToken: b.FormToken, Honeypot: b.Website})
		if b.Website != "" || hpa.ErrorReason(err) == "form-sent-too-fast" {
			limit.refund(ctx)
		}
		if err != nil {
			return nil, err
		}
		return &struct{ Body enquiryReceived }{Body: enquiryReceived{Status: "received"}}, nil
	})

	register(hapi, enquiryStaff, huma.Operation{
		OperationID: "list-enquiries",
		Method:      http.MethodGet,
		Path:        "/v1/enquiries",
		Summary:     "List enquiries",
		Description: "Newest first, without their messages (get one to read it); cursor-paginated. Enquiries are personal data: every read is in the audit log.",
		Tags:        tags,
	}, func(ctx context.Context, in *enquiryListInput) (*struct{ Body enquiryList }, error) {
		f := content.EnquiryFilter{Status: in.Status, Limit: in.Limit}
		if in.AssignedTo != "" {
			id, err := uuidField(in.AssignedTo, "query.assigned_to")
			if err != nil {
				return nil, err
			}
			f.AssignedTo = id
		}
		if in.Cursor != "" {
			f.After = &content.EnquiryCursor{}
			if err := decodeCursor(in.Cursor, f.After); err != nil {
				return nil, err
			}
		}
		items, next, err := enquiries.List(ctx, f)
		if err != nil {
			return nil, err
		}
		body := enquiryList{Items: make([]enquirySummary, len(items))}
		for i := range items {
			body.Items[i] = enquirySummaryBody(&items[i])
		}
		if next != nil {
			body.NextCursor = encodeCursor(next)
		}
		return &struct{ Body enquiryList }{Body: body}, nil
	})

	register(hapi, enquiryStaff, huma.Operation{
		OperationID: "get-enquiry",
		Method:      http.MethodGet,
		Path:        "/v1/enquiries/{id}",
		Summary:     "Read an enquiry",
		Description: "One enquiry with its message. The read is in the audit log.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *EnquiryIDPath) (*struct{ Body enquiryDetail }, error) {
		id, err := parseID(in.ID, "enquiry")
		if err != nil {
			return nil, err
		}
		e, err := enquiries.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body enquiryDetail }{Body: enquiryDetailBody(e)}, nil
	})

	register(hapi, enquiryStaff, huma.Operation{
		OperationID: "update-enquiry",
		Method:      http.MethodPatch,
		Path:        "/v1/enquiries/{id}",
		Summary:     "Assign an enquiry or mark it handled",
		Description: "Assign it to a staff member who handles enquiries (admin, editor or membership), and mark it handled (or new again).",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *enquiryUpdateInput) (*struct{ Body enquiryDetail }, error) {
		id, err := parseID(in.ID, "enquiry")
		if err != nil {
			return nil, err
		}
		u := content.EnquiryUpdate{Status: in.Body.Status}
		if a := in.Body.AssignedTo; a != nil {
			u.Assign = true
			if *a != "" {
				if u.AssignedTo, err = uuidField(*a, "body.assigned_to"); err != nil {
					return nil, err
				}
			}
		}
		e, err := enquiries.Update(ctx, id, callerID(ctx), u)
		if err != nil {
			return nil, err
		}
		return &struct{ Body enquiryDetail }{Body: enquiryDetailBody(e)}, nil
	})

	register(hapi, enquiryErasers, huma.Operation{
		OperationID:   "delete-enquiry",
		Method:        http.MethodDelete,
		Path:          "/v1/enquiries/{id}",
		Summary:       "Erase an enquiry",
		Description:   "Deletes an enquiry now, for example when its sender asks. Otherwise enquiries are deleted automatically once the retention period (HPA_ENQUIRY_RETENTION) has passed.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *EnquiryIDPath) (*struct{}, error) {
		id, err := parseID(in.ID, "enquiry")
		if err != nil {
			return nil, err
		}
		return nil, enquiries.Delete(ctx, id)
	})
}
