package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/giftaid"
)

type giftAidWording struct {
	Version string            `json:"version" example:"hmrc-model-2026" doc:"Send this back as wording_version with a declaration."`
	Scopes  map[string]string `json:"scopes" doc:"The declaration text to show, per scope."`
}

type declaration struct {
	ID                       string     `json:"id" format:"uuid"`
	DonorID                  string     `json:"donor_id,omitempty" format:"uuid"`
	MemberID                 string     `json:"member_id,omitempty" format:"uuid"`
	Title                    string     `json:"title,omitempty"`
	FirstName                string     `json:"first_name"`
	LastName                 string     `json:"last_name"`
	HouseNameOrNumber        string     `json:"house_name_or_number"`
	Postcode                 string     `json:"postcode" doc:"UK postcode, or X outside the UK."`
	Scope                    string     `json:"scope" enum:"this_gift,this_and_future,past_four_years_and_future"`
	Method                   string     `json:"method" enum:"online,oral,written"`
	WordingVersion           string     `json:"wording_version"`
	Wording                  string     `json:"wording" doc:"The text the donor agreed to."`
	DeclaredOn               string     `json:"declared_on" format:"date"`
	ConfirmationSentOn       string     `json:"confirmation_sent_on,omitempty" format:"date" doc:"For an oral declaration: when its written record was sent to the donor. It covers gifts once the donor's 30 days to cancel from then have passed."`
	RecordingReference       string     `json:"recording_reference,omitempty" doc:"For an oral declaration: the recording of the call, which HMRC accepts instead of a written record."`
	CancelledAt              *time.Time `json:"cancelled_at,omitempty"`
	CancelledRetrospectively bool       `json:"cancelled_retrospectively,omitempty" doc:"True when an oral declaration was cancelled before, or within 30 days of, its written record being sent: it never covered any gift."`
	RetainUntil              string     `json:"retain_until" format:"date" doc:"The record is kept at least until this date (HMRC: six years)."`
	CreatedAt                time.Time  `json:"created_at"`
}

func declarationBody(d *giftaid.Declaration) declaration {
	out := declaration{ID: d.ID.String(), DonorID: idString(d.DonorID), MemberID: idString(d.MemberID), Title: d.Person.Title, FirstName: d.Person.FirstName,
		LastName: d.Person.LastName, HouseNameOrNumber: d.Person.HouseNameOrNumber, Postcode: d.Person.Postcode, Scope: string(d.Scope), Method: string(d.Method),
		WordingVersion: d.WordingVersion, Wording: d.Wording, DeclaredOn: d.DeclaredOn.Format(time.DateOnly), RecordingReference: d.RecordingReference,
		CancelledAt: d.CancelledAt, CancelledRetrospectively: d.CancelledRetrospectively, RetainUntil: d.RetainUntil.Format(time.DateOnly), CreatedAt: d.CreatedAt.UTC()}
	if d.ConfirmationSentOn != nil {
		out.ConfirmationSentOn = d.ConfirmationSentOn.Format(time.DateOnly)
	}
	return out
}

type createDeclarationInput struct {
	Body struct {
		GiftAidFields
		Method             string `json:"method" enum:"online,oral,written" doc:"How the donor made it. An oral declaration rests on a recording of the call (recording_reference) or on the written record HPA sends the donor (POST /v1/gift-aid/declarations/{id}/written-record)."`
		DeclaredOn         string `json:"declared_on" format:"date" doc:"The date the donor made it."`
		ConfirmationSentOn string `json:"confirmation_sent_on,omitempty" format:"date" doc:"For an oral declaration whose written record was already sent (on paper, before it was entered here): the date it was sent."`
		RecordingReference string `json:"recording_reference,omitempty" maxLength:"200" doc:"For an oral declaration made on a recorded call: where the recording is kept. HMRC then needs no written record."`
		DonorID            string `json:"donor_id,omitempty" format:"uuid" doc:"The donor it belongs to."`
	}
}

type declarationListInput struct {
	PageQuery
	DonorID string `query:"donor_id" format:"uuid" doc:"Only this donor's declarations."`
}

type declarationPage struct {
	Items      []declaration `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

type declarationIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Declaration ID."`
}

func registerGiftAid(hapi huma.API, svc *giftaid.Service, keys idempotencyStore) {
	register(hapi, public, huma.Operation{
		OperationID: "get-gift-aid-wording",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/wording",
		Summary:     "Get the Gift Aid declaration wording",
		Description: "The text to show a donor for each scope (after HMRC's model declarations) and its version, to send back with the declaration. " + staticCachingNote,
		Tags:        []string{"Gift Aid"},
		Responses:   encodedResponses[giftAidWording](hapi, "The wording in force."),
		Metadata:    map[string]any{noDatabaseKey: true, cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		out := giftAidWording{Version: giftaid.CurrentWordingVersion, Scopes: map[string]string{}}
		for scope, text := range giftaid.CurrentWordings() {
			out.Scopes[string(scope)] = text
		}
		return hashedDocument(ctx, in.IfNoneMatch, out, publicCacheControl)
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "create-gift-aid-declaration",
		Method:        http.MethodPost,
		Path:          "/v1/gift-aid/declarations",
		Summary:       "Record a Gift Aid declaration",
		Description:   "For declarations made on paper, by phone or in person (oral) or online outside checkout. An oral declaration is recorded when the donor makes it: with the reference of a recording of the call it counts at once; otherwise HPA sends the donor its written record (`POST /v1/gift-aid/declarations/{id}/written-record`) and it covers gifts once the donor's 30 days to cancel have passed. HMRC's required details are checked (422 `gift-aid-declaration-incomplete` names each missing field); the name and address are encrypted at rest. Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createDeclarationInput) (*struct{ Body declaration }, error) {
		nd := in.Body.declaration()
		nd.Method = giftaid.Method(in.Body.Method)
		declared, err := parseDate(in.Body.DeclaredOn, "body.declared_on")
		if err != nil {
			return nil, err
		}
		if declared.After(time.Now()) {
			return nil, invalidField("body.declared_on", "must not be in the future")
		}
		nd.DeclaredOn = declared
		nd.RecordingReference = in.Body.RecordingReference
		if in.Body.ConfirmationSentOn != "" {
			sent, err := parseDate(in.Body.ConfirmationSentOn, "body.confirmation_sent_on")
			if err != nil {
				return nil, err
			}
			nd.ConfirmationSentOn = &sent
		}
		if nd.DonorID, err = optionalUUID(in.Body.DonorID, "body.donor_id"); err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		nd.RecordedBy = &by
		d, err := svc.Create(ctx, *nd)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "list-gift-aid-declarations",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/declarations",
		Summary:     "List Gift Aid declarations",
		Description: "Newest first, optionally one donor's. Audit-logged.",
		Tags:        []string{"Gift Aid"},
	}, func(ctx context.Context, in *declarationListInput) (*struct{ Body declarationPage }, error) {
		donor, err := optionalUUID(in.DonorID, "query.donor_id")
		if err != nil {
			return nil, err
		}
		var before *giftaid.Cursor
		if err := decodeCursor(in.Cursor, &before); err != nil {
			return nil, err
		}
		list, err := svc.List(ctx, donor, before, in.Limit)
		if err != nil {
			return nil, err
		}
		var page declarationPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, declarationBody, func(last *giftaid.Declaration) any {
			return giftaid.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body declarationPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-declaration",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/declarations/{id}",
		Summary:     "Get a Gift Aid declaration",
		Description: "Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "cancel-gift-aid-declaration",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/declarations/{id}/cancel",
		Summary:     "Cancel a Gift Aid declaration",
		Description: "The declaration stops covering gifts made from now on; gifts made before stay claimable and the record is kept six years. An oral declaration cancelled before, or within 30 days of, its written record being sent is cancelled from the start (`cancelled_retrospectively`): it never covered any gift. 409 `declaration-already-cancelled` the second time. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.Cancel(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})

	registerWrittenRecords(hapi, svc)
	registerGiftAidClaims(hapi, svc, keys)
	registerGiftAidExclusions(hapi, svc)
}

func registerMyGiftAid(hapi huma.API, svc *giftaid.Service) {
	register(hapi, memberSelf, huma.Operation{
		OperationID: "list-my-gift-aid-declarations",
		Method:      http.MethodGet,
		Path:        "/v1/me/gift-aid-declarations",
		Summary:     "List my Gift Aid declarations",
		Description: "The member's own declarations, newest first (at most 100): those made while signed in and those of donor records linked to their membership, with the wording they agreed to.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body []declaration }, error) {
		ds, err := svc.MemberDeclarations(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := make([]declaration, len(ds))
		for i, d := range ds {
			out[i] = declarationBody(d)
		}
		return &struct{ Body []declaration }{Body: out}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID: "cancel-my-gift-aid-declaration",
		Method:      http.MethodPost,
		Path:        "/v1/me/gift-aid-declarations/{id}/cancel",
		Summary:     "Cancel my Gift Aid declaration",
		Description: "A donor may cancel a declaration at any time: it stops covering gifts made from now on, gifts already made stay claimable, and the record is kept six years as HMRC requires. An oral declaration cancelled within 30 days of its written record being sent (or before it is sent) never covered any gift. 404 for a declaration that is not the member's; 409 `declaration-already-cancelled` the second time. Audit-logged.",
		Tags:        []string{"Self-service"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *declarationIDInput) (*struct{ Body declaration }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		d, err := svc.CancelForMember(ctx, callerFrom(ctx).ID, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body declaration }{Body: declarationBody(d)}, nil
	})
}
