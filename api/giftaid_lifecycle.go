package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/giftaid"
)

type submitClaimInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Claim ID."`
	Body struct {
		On            string `json:"on,omitempty" format:"date" doc:"The UK date it was filed; today if left out."`
		HMRCReference string `json:"hmrc_reference,omitempty" maxLength:"100" example:"CO-2026-0001" doc:"Charities Online's reference for the submission."`
	}
}

type acceptClaimInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Claim ID."`
	Body struct {
		On   string `json:"on,omitempty" format:"date" doc:"The UK date HMRC accepted it; today if left out."`
		Note string `json:"note,omitempty" maxLength:"500" doc:"Anything worth keeping, such as the repayment's reference."`
	}
}

type closeClaimInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Claim ID."`
	Body struct {
		On     string `json:"on,omitempty" format:"date" doc:"The UK date it happened; today if left out."`
		Reason string `json:"reason,omitempty" maxLength:"500" doc:"Why (required): HMRC's reason for a rejection, or why the claim is withdrawn."`
	}
}

// claimStep reads what a lifecycle request records.
func claimStep(ctx context.Context, rawID, on, reference, note string) (uuid.UUID, giftaid.Step, error) {
	id, err := parseID(rawID, "claim")
	if err != nil {
		return id, giftaid.Step{}, err
	}
	day, err := parseDate(on, "body.on")
	by := callerFrom(ctx).ID
	return id, giftaid.Step{On: day, HMRCReference: reference, Note: note, By: &by}, err
}

func registerGiftAidClaimLifecycle(hapi huma.API, svc *giftaid.Service) {
	answer := func(c *giftaid.Claim, err error) (*struct{ Body claim }, error) {
		if err != nil {
			return nil, err
		}
		return &struct{ Body claim }{Body: claimBody(c)}, nil
	}
	statusConflict := "409 `claim-status` when the claim is not in a status this step follows."

	register(hapi, treasurers, huma.Operation{
		OperationID: "submit-gift-aid-claim",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/claims/{id}/submit",
		Summary:     "Record that a claim was filed with HMRC",
		Description: "A draft claim becomes submitted once the treasurer has filed its schedule in Charities Online; record HMRC's submission reference. " + statusConflict + " Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *submitClaimInput) (*struct{ Body claim }, error) {
		id, step, err := claimStep(ctx, in.ID, in.Body.On, in.Body.HMRCReference, "")
		if err != nil {
			return nil, err
		}
		return answer(svc.Submit(ctx, id, step))
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "accept-gift-aid-claim",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/claims/{id}/accept",
		Summary:     "Record that HMRC accepted a claim",
		Description: "A submitted claim becomes accepted: final. Gift Aid on its gifts refunded or ruled ineligible later is paid back through a later claim's adjustment. " + statusConflict + " Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *acceptClaimInput) (*struct{ Body claim }, error) {
		id, step, err := claimStep(ctx, in.ID, in.Body.On, "", in.Body.Note)
		if err != nil {
			return nil, err
		}
		return answer(svc.Accept(ctx, id, step))
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "reject-gift-aid-claim",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/claims/{id}/reject",
		Summary:     "Record that HMRC rejected a claim",
		Description: "A submitted claim becomes rejected, with HMRC's reason (required): its gifts and the adjustments it carried may be claimed again (resubmit it, or make a new claim); its record of what it held stays. 409 `claim-adjusted-later` while a later live claim pays back Gift Aid on one of its gifts (void that claim first). " + statusConflict + " Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *closeClaimInput) (*struct{ Body claim }, error) {
		id, step, err := claimStep(ctx, in.ID, in.Body.On, "", in.Body.Reason)
		if err != nil {
			return nil, err
		}
		return answer(svc.Reject(ctx, id, step))
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "void-gift-aid-claim",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/claims/{id}/void",
		Summary:     "Void a claim",
		Description: "Withdraws a draft claim never to be sent, or a submitted one withdrawn from HMRC, with the reason (required): its gifts and the adjustments it carried may be claimed again; its record of what it held stays. An accepted claim cannot be voided. 409 `claim-adjusted-later` while a later live claim pays back Gift Aid on one of its gifts. " + statusConflict + " Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *closeClaimInput) (*struct{ Body claim }, error) {
		id, step, err := claimStep(ctx, in.ID, in.Body.On, "", in.Body.Reason)
		if err != nil {
			return nil, err
		}
		return answer(svc.Void(ctx, id, step))
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "resubmit-gift-aid-claim",
		Method:        http.MethodPost,
		Path:          "/v1/gift-aid/claims/{id}/resubmit",
		Summary:       "Make a rejected or void claim again",
		Description:   "Makes a new draft claim for the rejected or void claim's period, naming it (`resubmission_of`), of whatever in that period is claimable now: its gifts once more, less any refunded, ruled ineligible or out of time since. 409 `nothing-to-claim` when nothing is left; " + statusConflict + " Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *claimIDInput) (*struct{ Body claimWithSchedule }, error) {
		id, err := parseID(in.ID, "claim")
		if err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		c, s, err := svc.Resubmit(ctx, id, &by)
		if err != nil {
			return nil, err
		}
		return &struct{ Body claimWithSchedule }{Body: claimWithSchedule{Claim: claimBody(c), Schedule: previewBody(s)}}, nil
	})
}
