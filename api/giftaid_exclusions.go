package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/giftaid"
)

type exclusionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Donation ID."`
	Body struct {
		Reason string `json:"reason" enum:"payment_for_goods_or_services,company,donor_benefit,not_donors_own_money,other" doc:"Why Gift Aid does not apply: the gift paid for something (a ticket, goods, a service), came from a company, brought the donor a benefit beyond HMRC's limits, was not the donor's own money, or another reason (then say it in note)."`
		Note   string `json:"note,omitempty" maxLength:"500" doc:"Details; required when reason is other. Kept with the ruling, not in the audit log."`
	}
}

type exclusion struct {
	DonationID string    `json:"donation_id" format:"uuid"`
	Reason     string    `json:"reason" enum:"payment_for_goods_or_services,company,donor_benefit,not_donors_own_money,other"`
	Note       string    `json:"note,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty" format:"uuid"`
	CreatedAt  time.Time `json:"created_at"`
}

func registerGiftAidExclusions(hapi huma.API, svc *giftaid.Service) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "exclude-donation-from-gift-aid",
		Method:      http.MethodPut,
		Path:        "/v1/donations/{id}/gift-aid-exclusion",
		Summary:     "Rule a gift not eligible for Gift Aid",
		Description: "Keeps a gift out of Gift Aid claims whatever declaration covers it, with the reason (a second call changes it). If a live claim already holds the gift, the Gift Aid claimed on it becomes an adjustment the next claim pays back. Audit-logged with the reason.",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *exclusionInput) (*struct{ Body exclusion }, error) {
		id, err := parseID(in.ID, "donation")
		if err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		e, err := svc.Exclude(ctx, id, in.Body.Reason, in.Body.Note, &by)
		if err != nil {
			return nil, err
		}
		return &struct{ Body exclusion }{Body: exclusion{DonationID: e.DonationID.String(), Reason: e.Reason, Note: e.Note, CreatedBy: idString(e.CreatedBy),
			CreatedAt: e.CreatedAt.UTC()}}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "lift-donation-gift-aid-exclusion",
		Method:        http.MethodDelete,
		Path:          "/v1/donations/{id}/gift-aid-exclusion",
		Summary:       "Lift a gift's Gift Aid exclusion",
		Description:   "The gift is eligible again when a declaration covers it. 404 when the gift is not excluded. Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *donationIDInput) (*struct{}, error) {
		id, err := parseID(in.ID, "donation")
		if err != nil {
			return nil, err
		}
		return nil, svc.Include(ctx, id)
	})
}
