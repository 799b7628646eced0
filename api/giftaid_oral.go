package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/giftaid"
)

type writtenRecordInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Declaration ID."`
	Body struct {
		SentOn string `json:"sent_on" format:"date" doc:"The UK date the written record was (or is being) sent to the donor: not before the declaration, not in the future. The donor's 30 days to cancel run from it."`
	}
}

type writtenRecordSent struct {
	Declaration declaration `json:"declaration"`
	Letter      string      `json:"letter" doc:"The written record to send the donor (plain text): their details, the declaration, the tax they must pay, their right to cancel within 30 days, the dates it was made and sent."`
}

// letterOutput is a written record as a plain-text download.
type letterOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func registerWrittenRecords(hapi huma.API, svc *giftaid.Service) {
	register(hapi, treasurers, huma.Operation{
		OperationID:   "record-gift-aid-written-record",
		Method:        http.MethodPost,
		Path:          "/v1/gift-aid/declarations/{id}/written-record",
		Summary:       "Send the written record of an oral declaration",
		Description:   "HMRC accepts an oral declaration once the charity has sent the donor a written record of it (unless the call was recorded). This records the date it is sent and answers with the letter to send, holding what HMRC requires: the donor's details, the declaration, the explanation of the tax they must pay, their right to cancel within 30 days, the date they declared and the date it was sent. The declaration covers gifts once those 30 days have passed; cancelling within them undoes it from the start. 409 `declaration-not-oral`, `written-record-not-needed` (a recorded call), `written-record-already-sent`, `declaration-already-cancelled`. Audit-logged.",
		Tags:          []string{"Gift Aid"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *writtenRecordInput) (*struct{ Body writtenRecordSent }, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		sent, err := parseDate(in.Body.SentOn, "body.sent_on")
		if err != nil {
			return nil, err
		}
		if sent.IsZero() {
			return nil, invalidField("body.sent_on", "is required")
		}
		d, letter, err := svc.RecordWrittenRecord(ctx, id, sent)
		if err != nil {
			return nil, err
		}
		return &struct{ Body writtenRecordSent }{Body: writtenRecordSent{Declaration: declarationBody(d), Letter: letter}}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-gift-aid-written-record",
		Method:      http.MethodGet,
		Path:        "/v1/gift-aid/declarations/{id}/written-record",
		Summary:     "Download the written record of an oral declaration",
		Description: "The letter sent to the donor, as sent (plain text), for the file or to send again. 409 `written-record-not-sent` before its sending is recorded; `declaration-not-oral`, `written-record-not-needed`. Audit-logged (it holds the donor's name and address).",
		Tags:        []string{"Gift Aid"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
		Responses: map[string]*huma.Response{"200": {Description: "The written record.", Content: map[string]*huma.MediaType{
			"text/plain": {Schema: &huma.Schema{Type: "string"}},
		}}},
	}, func(ctx context.Context, in *declarationIDInput) (*letterOutput, error) {
		id, err := parseID(in.ID, "declaration")
		if err != nil {
			return nil, err
		}
		letter, err := svc.WrittenRecord(ctx, id)
		if err != nil {
			return nil, err
		}
		return &letterOutput{ContentType: "text/plain; charset=utf-8", ContentDisposition: `attachment; filename="gift-aid-written-record-` + id.String()[:8] + `.txt"`,
			Body: []byte(letter)}, nil
	})
}
