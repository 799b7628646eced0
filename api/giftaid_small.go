package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/donations"
)

type smallDonationInput struct {
	IdempotencyKey
	RawBody []byte
	Body    struct {
		AmountPence int64  `json:"amount_pence" minimum:"1" example:"500" doc:"One gift, at most the scheme's limit (HMRC: £30)."`
		Method      string `json:"method" enum:"cash,contactless" doc:"HMRC's small donations scheme takes cash and contactless card gifts only."`
		ReceivedOn  string `json:"received_on" format:"date" doc:"The UK date the gift was received (for cash, collected)."`
		Campaign    string `json:"campaign" minLength:"1" maxLength:"60" example:"general"`
		Reference   string `json:"reference,omitempty" maxLength:"200" doc:"Such as the collection or the card reader's batch."`
	}
}

func registerSmallDonations(hapi huma.API, svc *donations.Service, keys idempotencyStore) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "record-small-donation",
		Method:      http.MethodPost,
		Path:        "/v1/gift-aid/small-donations",
		Summary:     "Record a small donation (Gift Aid Small Donations Scheme)",
		Description: "Enters a small cash or contactless gift in the ledger, anonymous and without a declaration, for the Gift Aid Small Donations Scheme (GASDS): claims take small donations, each tax year's within the annual limit and ten times the Gift Aid donations claimed for that year, for two years after the tax year. A gift over the per-gift limit is 422 `small-donation-over-limit` (record it as an offline gift). Send an `Idempotency-Key` so a retried press records one gift. Audit-logged.",
		Tags:        []string{"Gift Aid"},
		Responses:   map[string]*huma.Response{"201": jsonResponse[donation](hapi, "The gift, as the ledger holds it.")},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *smallDonationInput) (*replayableOutput, error) {
		received, err := parseDate(in.Body.ReceivedOn, "body.received_on")
		if err != nil {
			return nil, err
		}
		by := callerFrom(ctx).ID
		return idempotentLeased(ctx, keys, "record-small-donation", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusCreated, func(ctx context.Context) (any, error) {
			d, err := svc.RecordSmallDonation(ctx, donations.SmallDonation{AmountPence: in.Body.AmountPence, Method: in.Body.Method, ReceivedOn: received,
				Campaign: in.Body.Campaign, Reference: in.Body.Reference}, by)
			if err != nil {
				return nil, err
			}
			return donationBody(d), nil
		})
	})
}
