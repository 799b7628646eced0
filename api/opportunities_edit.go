package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
)

type staffOpportunityInput struct {
	Body StaffOpportunityFields
}

type staffOpportunityUpdateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body StaffOpportunityFields
}

type partnerOpportunityInput struct {
	Body OpportunityFields
}

type partnerOpportunityUpdateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body OpportunityFields
}

type reviewQueueInput struct {
	PageQuery
	Status string `query:"status" default:"submitted" enum:"submitted,changes-requested,approved,published,closed,rejected"`
}

type reviewInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body struct {
		Action string `json:"action" enum:"approve,request-changes,reject,publish,close" doc:"publish starts the member alerts."`
		Note   string `json:"note,omitempty" maxLength:"2000" doc:"Required to request changes or reject: shown to the organiser."`
	}
}

type alertProgress struct {
	State    string `json:"state" enum:"running,paused"`
	Matched  int    `json:"matched" doc:"Members matched: interest, audience and consent."`
	Pending  int64  `json:"pending"`
	Sent     int64  `json:"sent"`
	InDigest int64  `json:"in_digest" doc:"Held for the member's digest (they chose one, or had an alert this week)."`
	Digested int64  `json:"digested"`
	Skipped  int64  `json:"skipped" doc:"Not sent: the member left or withdrew consent before their turn."`
}

func alertProgressBody(p *engagement.AlertProgress) alertProgress {
	return alertProgress{State: p.State, Matched: p.Matched, Pending: p.Counts["pending"], Sent: p.Counts["sent"],
		InDigest: p.Counts["digest"], Digested: p.Counts["digested"], Skipped: p.Counts["skipped"]}
}

type alertControlInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body struct {
		Paused bool `json:"paused" doc:"true pauses the send; false resumes it where it stopped."`
	}
}

type outcomeInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	Body struct {
		Summary string `json:"summary" minLength:"1" maxLength:"5000" doc:"What was learned, for members."`
		Link    string `json:"link,omitempty" maxLength:"2000" format:"uri" doc:"The published research, if any."`
	}
}

type outcomePublishInput struct {
	ID        string `path:"id" maxLength:"64" doc:"Opportunity ID."`
	OutcomeID string `path:"outcome_id" maxLength:"20" doc:"Outcome ID."`
}

type attendee struct {
	ID                 string    `json:"id" format:"uuid"`
	Name               string    `json:"name"`
	Email              string    `json:"email" format:"email"`
	Status             string    `json:"status" enum:"confirmed,waitlisted,cancelled"`
	IsMember           bool      `json:"is_member"`
	ShareWithOrganiser bool      `json:"share_with_organiser"`
	AccessibilityNeeds string    `json:"accessibility_needs,omitempty" doc:"Only for staff who hold the membership role (or admin) at the time of the request."`
	RegisteredAt       time.Time `json:"registered_at"`
}

type attendeeList struct {
	Items []attendee `json:"items"`
}

func attendeeListBody(regs []*engagement.Registration) attendeeList {
	out := attendeeList{Items: make([]attendee, len(regs))}
	for i, r := range regs {
		out.Items[i] = attendee{ID: r.ID.String(), Name: r.Name, Email: r.Email, Status: r.Status, IsMember: r.MemberID != nil,
			ShareWithOrganiser: r.ShareWithOrganiser, AccessibilityNeeds: r.AccessibilityNeeds, RegisteredAt: r.CreatedAt}
	}
	return out
}

func registerOpportunityEditing(hapi huma.API, svc engagementService) {
	register(hapi, opportunityEditors, huma.Operation{
		OperationID:   "create-opportunity",
		Method:        http.MethodPost,
		Path:          "/v1/opportunities",
		Summary:       "Create an opportunity (HPA's own)",
		Description:   "Editors create opportunities directly; they start approved, ready to publish with POST /v1/opportunities/{id}/review. An `hpa_contact_id` must name an active staff member with the membership role (or admin), or the answer is 422 `hpa-contact-not-eligible`.",
		Tags:          []string{"Opportunities admin"},
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *staffOpportunityInput) (*opportunityOutput, error) {
		d, err := in.Body.details()
		if err != nil {
			return nil, err
		}
		staff := callerFrom(ctx).ID
		o, err := svc.Create(ctx, engagement.Submitter{StaffID: &staff}, d)
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "update-opportunity",
		Method:      http.MethodPut,
		Path:        "/v1/opportunities/{id}",
		Summary:     "Edit an opportunity",
		Description: "Replaces the details of any opportunity that is not closed or rejected. An `hpa_contact_id` must name an active staff member who holds the membership role (or admin) now, or the answer is 422 `hpa-contact-not-eligible`.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *staffOpportunityUpdateInput) (*opportunityOutput, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		d, err := in.Body.details()
		if err != nil {
			return nil, err
		}
		o, err := svc.Update(ctx, id, nil, d)
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "list-opportunity-reviews",
		Method:      http.MethodGet,
		Path:        "/v1/opportunity-reviews",
		Summary:     "The review queue",
		Description: "Opportunities by status, oldest first: status=submitted is what partners sent and waits for review.",
		Tags:        []string{"Opportunities admin"},
	}, func(ctx context.Context, in *reviewQueueInput) (*struct{ Body opportunityPage }, error) {
		var cur opportunityCursor
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		list, err := svc.ListForReview(ctx, in.Status, in.Limit, cur.At, cur.ID)
		if err != nil {
			return nil, err
		}
		var page opportunityPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, privateOpportunity, func(last *engagement.Opportunity) any {
			return opportunityCursor{At: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body opportunityPage }{Body: page}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "review-opportunity",
		Method:      http.MethodPost,
		Path:        "/v1/opportunities/{id}/review",
		Summary:     "Approve, request changes, reject, publish or close",
		Description: "Moves an opportunity through review: submitted → approved (or changes-requested, or rejected) → published → closed. Publishing alerts the members whose interests, audiences and consent match, once each.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *reviewInput) (*opportunityOutput, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		o, err := svc.Review(ctx, id, in.Body.Action, in.Body.Note)
		if err != nil {
			return nil, err
		}
		return &opportunityOutput{Body: opportunityBody(o, true)}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "get-opportunity-alerts",
		Method:      http.MethodGet,
		Path:        "/v1/opportunities/{id}/alerts",
		Summary:     "How the member alerts are going",
		Description: "Counts of alerts pending, sent, held for digests and skipped.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *opportunityIDInput) (*struct{ Body alertProgress }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		p, err := svc.Progress(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body alertProgress }{Body: alertProgressBody(p)}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "control-opportunity-alerts",
		Method:      http.MethodPost,
		Path:        "/v1/opportunities/{id}/alerts",
		Summary:     "Pause or resume the member alerts",
		Description: "A paused send waits; resumed, it carries on where it stopped. Nobody gets an alert twice.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *alertControlInput) (*struct{ Body alertProgress }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		p, err := svc.SetPaused(ctx, id, in.Body.Paused)
		if err != nil {
			return nil, err
		}
		return &struct{ Body alertProgress }{Body: alertProgressBody(p)}, nil
	})

	register(hapi, staffWith(identity.RoleEditor, identity.RoleMembership), huma.Operation{
		OperationID: "list-opportunity-attendees",
		Method:      http.MethodGet,
		Path:        "/v1/opportunities/{id}/registrations",
		Summary:     "Who registered",
		Description: "Everyone registered, waiting or cancelled. Accessibility needs (special-category data) are shown only to staff who hold the membership role (or admin) at the time of the request; being the event's HPA contact grants nothing. Audited, reads of accessibility needs separately.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *opportunityIDInput) (*struct{ Body attendeeList }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		c := callerFrom(ctx)
		regs, err := svc.Attendees(ctx, id, engagement.AttendeeView{MembershipRole: c.HasRole(identity.RoleMembership)})
		if err != nil {
			return nil, err
		}
		return &struct{ Body attendeeList }{Body: attendeeListBody(regs)}, nil
	})

	register(hapi, opportunityEditors, huma.Operation{
		OperationID: "publish-opportunity-outcome",
		Method:      http.MethodPost,
		Path:        "/v1/opportunities/{id}/outcomes/{outcome_id}/publish",
		Summary:     "Publish what was learned",
		Description: "Makes an organiser's outcome visible on the opportunity and to the members who took part.",
		Tags:        []string{"Opportunities admin"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *outcomePublishInput) (*struct{ Body outcome }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		oid, err := strconv.ParseInt(in.OutcomeID, 10, 64)
		if err != nil {
			return nil, hpa.Errorf(hpa.ENOTFOUND, "no such outcome for that opportunity")
		}
		oc, err := svc.PublishOutcome(ctx, id, oid)
		if err != nil {
			return nil, err
		}
		return &struct{ Body outcome }{Body: outcomeBody(*oc)}, nil
	})

	registerOutcomeReport(hapi, svc, opportunityEditors, "report-opportunity-outcome", "/v1/opportunities/{id}/outcomes", "Opportunities admin", nil)
	registerPartnerOpportunities(hapi, svc)
}

// registerOutcomeReport registers an outcome report for staff or, with
// owner set from the key, for the organiser.
func registerOutcomeReport(hapi huma.API, svc engagementService, policy access, opID, path, tag string, owner func(context.Context) *uuid.UUID) {
	register(hapi, policy, huma.Operation{
		OperationID:   opID,
		Method:        http.MethodPost,
		Path:          path,
		Summary:       "Report what was learned",
		Description:   "An outcome (what was learned, a link to the published research) for HPA to publish back to members.",
		Tags:          []string{tag},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *outcomeInput) (*struct{ Body outcome }, error) {
		id, err := parseID(in.ID, "opportunity")
		if err != nil {
			return nil, err
		}
		var org *uuid.UUID
		if owner != nil {
			org = owner(ctx)
		}
		oc, err := svc.ReportOutcome(ctx, id, org, in.Body.Summary, in.Body.Link)
		if err != nil {
			return nil, err
		}
		return &struct{ Body outcome }{Body: outcomeBody(*oc)}, nil
	})
}
