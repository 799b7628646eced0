package api

import (
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/webhooks"
)

// documentWebhookEvents describes every event HPA sends under the
// contract's webhooks (OpenAPI 3.1): the body of each delivery, with its
// data's schema, and the Standard Webhooks headers that sign it.
func documentWebhookEvents(oapi *huma.OpenAPI) {
	registry := oapi.Components.Schemas
	header := func(name, doc string) *huma.Param {
		return &huma.Param{Name: name, In: "header", Required: true, Description: doc, Schema: &huma.Schema{Type: "string"}}
	}
	params := []*huma.Param{
		header("webhook-id", "The event's ID (msg_…): the same in every attempt and redelivery, so a receiver can drop duplicates."),
		header("webhook-timestamp", "When this attempt was signed, in Unix seconds: refuse deliveries more than five minutes old."),
		header("webhook-signature", "Space-separated v1,<base64 HMAC-SHA256 of \"webhook-id.webhook-timestamp.body\"> signatures, one per current secret (two while a rotation's overlap lasts); a delivery is genuine if any matches."),
	}
	oapi.Webhooks = map[string]*huma.PathItem{}
	for _, et := range webhooks.EventTypes {
		body := &huma.Schema{Type: "object", AdditionalProperties: false, Required: []string{"type", "timestamp", "data"},
			Properties: map[string]*huma.Schema{
				"type":      {Type: "string", Enum: []any{et.Name}},
				"timestamp": {Type: "string", Format: "date-time", Description: "When the event happened."},
				"data":      registry.Schema(reflect.TypeOf(et.Data), true, ""),
			}}
		oapi.Webhooks[et.Name] = &huma.PathItem{Post: &huma.Operation{
			OperationID: "webhook-" + strings.NewReplacer(".", "-", "_", "-").Replace(et.Name),
			Summary:     et.Summary,
			Description: et.Description + " Sent to the endpoints that subscribe to " + et.Name + " (" + sentTo + ").",
			Tags:        []string{"Outgoing webhooks"},
			Parameters:  params,
			// HPA calls the receiver: no credential of HPA's is involved;
			// the receiver checks the signature headers instead.
			Security:    []map[string][]string{},
			RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: body}}},
			Responses:   map[string]*huma.Response{"2XX": {Description: "Received. Any 2xx ends the delivery; any other answer, a redirect, or none within 10 seconds is a failed attempt, retried for about three days."}},
		}}
	}
}

const sentTo = "a partner's endpoints receive the events about its own members, opportunities and registrations; HPA's own endpoints those about HPA's own opportunities"
