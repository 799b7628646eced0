package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/visits"
)

// eventCollector accepts visit events; visits.Service is one.
type eventCollector interface {
	WaitForRoom() error
	Collect(ctx context.Context, client visits.Client, events []visits.Event, prefix func(int) string) error
	CollectDurable(ctx context.Context, client visits.Client, events []visits.Event, prefix func(int) string) error
}

// EventFields are what a browser's beacon and a server-side sender share
// (exported so huma documents them where they are embedded).
type EventFields struct {
	Name        string            `json:"name,omitempty" maxLength:"60" pattern:"^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$" default:"pageview" example:"pageview" doc:"pageview for a page view, or a custom event name such as signup-started or donate-clicked."`
	URL         string            `json:"url" maxLength:"2000" example:"https://www.example.org/about?utm_source=newsletter" doc:"The page's absolute URL; its host must be one of the counted sites. utm_* query parameters are read from it."`
	Referrer    string            `json:"referrer,omitempty" maxLength:"2000" example:"https://www.google.com/" doc:"document.referrer, if any. Links within the site are not referrals."`
	ScreenWidth int               `json:"screen_width,omitempty" minimum:"0" maximum:"100000" example:"1280" doc:"window.innerWidth in CSS pixels."`
	UTMSource   string            `json:"utm_source,omitempty" maxLength:"200" doc:"Overrides the URL's utm_source."`
	UTMMedium   string            `json:"utm_medium,omitempty" maxLength:"200" doc:"Overrides the URL's utm_medium."`
	UTMCampaign string            `json:"utm_campaign,omitempty" maxLength:"200" doc:"Overrides the URL's utm_campaign."`
	UTMContent  string            `json:"utm_content,omitempty" maxLength:"200" doc:"Overrides the URL's utm_content."`
	UTMTerm     string            `json:"utm_term,omitempty" maxLength:"200" doc:"Overrides the URL's utm_term."`
	Props       map[string]string `json:"props,omitempty" maxProperties:"10" doc:"Up to 10 string properties of a custom event (keys ≤ 40 bytes, values ≤ 200 bytes). Never put personal data here."`
}

// pageEvent is the body of POST /v1/events.
type pageEvent struct {
	EventFields
}

// batchEvent is one event of a batch from a server-side sender.
type batchEvent struct {
	EventFields
	ID        string     `json:"id,omitempty" maxLength:"100" example:"0b7f4c1e-5d1a-4a53-9c84-2f8e1f0f6b10" doc:"Your ID for the event: an event whose ID was received before (within two days) is counted once, so a failed batch can simply be sent again."`
	Timestamp *time.Time `json:"timestamp,omitempty" doc:"When it happened, within the last 24 hours; default now."`
	UserAgent string     `json:"user_agent,omitempty" maxLength:"1000" doc:"The visitor's User-Agent, when relaying a browser's visit; default the sender's. Used for the visitor hash and device class, never stored."`
	IP        string     `json:"ip,omitempty" maxLength:"45" example:"203.0.113.7" doc:"The visitor's IP address, when relaying a browser's visit; default the sender's. Used for the visitor hash only, never stored."`
}

type eventBatch struct {
	Events  []batchEvent `json:"events" minItems:"1" maxItems:"500" doc:"1 to 500 events."`
	Durable bool         `json:"durable,omitempty" doc:"Answer only once the events are stored (200) rather than once they are queued (202). Every event then needs an id, so that sending the batch again after a failure or time-out counts each once."`
}

type batchReceived struct {
	Received int `json:"received" example:"500" doc:"How many events the batch held. All were accepted; bots and repeats of an event ID are counted once or not at all, without saying which."`
}

type batchOutput struct {
	Status int
	Body   batchReceived
}

type rawEventInput struct {
	RawBody []byte `contentType:"application/json"`
}

// eventRequest is what the events handlers may know of the HTTP request:
// its media type and the client (whose address and agent are only hashed).
type eventRequest struct {
	path        string
	contentType string
	client      visits.Client
}

type eventRequestKey struct{}

func registerEvents(hapi huma.API, collector eventCollector, s *server, countryHeader string) {
	captureClient := func(ctx huma.Context, next func(huma.Context)) {
		r, _ := humachi.Unwrap(ctx)
		c := visits.Client{
			IP:        stateOf(ctx.Context()).clientIP,
			UserAgent: r.UserAgent(),
			OptOut:    r.Header.Get("DNT") == "1" || r.Header.Get("Sec-GPC") == "1",
		}
		if countryHeader != "" && s.trusted(remoteAddr(r)) {
			if cc := strings.ToUpper(r.Header.Get(countryHeader)); len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' && cc != "XX" {
				c.Country = cc
			}
		}
		next(huma.WithValue(ctx, eventRequestKey{}, eventRequest{path: r.URL.Path, contentType: r.Header.Get("Content-Type"), client: c}))
	}

	register(hapi, public, huma.Operation{
		OperationID: "send-event",
		Method:      http.MethodPost,
		Path:        "/v1/events",
		Summary:     "Record a page view or event",
		Description: "The pageEvent a page sends when it is viewed, or when something worth counting happens (a custom event such as `donate-clicked`). Send it with `navigator.sendBeacon(url, JSON.stringify(event))`: a string goes as `text/plain;charset=UTF-8`, a body the API reads as JSON and that needs no CORS preflight. " +
			"Never pass sendBeacon a `Blob` of type `application/json`: a beacon always carries credentials, so its preflight would need `Access-Control-Allow-Credentials`, which this API never sends, and the browser drops the event silently. " +
			"`fetch(url, {method: \"POST\", keepalive: true, headers: {\"Content-Type\": \"application/json\"}, body})` (no credentials) works too.\n\n" +
			"Only page views of the sites in `HPA_VISITS_HOSTNAMES` count; unless set, that is the hosts of `HPA_CORS_ORIGINS`, so the origins allowed to call the API from a browser are also the sites whose visits count. The host of `url` must be one of them: `422 hostname-not-allowed` otherwise.\n\nNo cookies, nothing stored about the visitor: a visitor is a hash of the day's random salt, the site, the address and the User-Agent, which cannot be linked to another day. Bots, browsers sending `DNT: 1` or `Sec-GPC: 1` (when so configured) and floods from one visitor are answered `202` like everyone else and not counted. When events arrive faster than they can be written, a request is held for up to a second, then refused with `503` and `Retry-After`: send it again after that many seconds.\n\nText anywhere in the event (URL and its `utm_*` parameters included) must be UTF-8 without NUL characters, which the database cannot store: `422` otherwise. A `202` means the event is queued in memory and written within `HPA_VISITS_FLUSH_INTERVAL` (1 s); a crash of the service before then loses it.",
		Tags:          []string{"Visits"},
		DefaultStatus: http.StatusAccepted,
		MaxBodyBytes:  16 << 10,
		Errors:        []int{http.StatusServiceUnavailable},
		Middlewares:   huma.Middlewares{captureClient},
		// The handler parses and validates the body itself: huma knows
		// neither text/plain JSON nor these limits per event.
		SkipValidateBody: true,
	}, func(ctx context.Context, in *rawEventInput) (*struct{}, error) {
		if err := collector.WaitForRoom(); err != nil {
			return nil, err
		}
		var b pageEvent
		if err := decodeEventBody(ctx, in.RawBody, &b); err != nil {
			return nil, err
		}
		err := collector.Collect(ctx, requestOf(ctx).client, []visits.Event{b.event()}, func(int) string { return "body." })
		return nil, err
	})
	documentEventBody[pageEvent](hapi, "/v1/events", "A page view or custom event, as JSON (sent as text/plain or application/json).", "application/json", "text/plain")

	register(hapi, public, huma.Operation{
		OperationID:   "send-events-batch",
		Method:        http.MethodPost,
		Path:          "/v1/events/batch",
		Summary:       "Record up to 500 events at once",
		Description:   "For server-side senders. Either every event is valid and the batch is accepted (`202`), or nothing is and the problem lists each invalid field (`body.events[3].url`). Give each event an `id` so that sending a batch again after a failure or time-out counts each event once. Relay a browser's visit with its `user_agent` and `ip`; neither is stored.\n\nA `202` means the events are queued in memory and written within `HPA_VISITS_FLUSH_INTERVAL` (1 s); a crash of the service before then loses them. A relay that must lose nothing sends `\"durable\": true` (every event with an `id`): the answer is then `200`, and only once the events are committed (or set aside for staff when the database refuses one). If that takes over 10 seconds, or the service stops first, the answer is `503` with code `not-yet-written` and `Retry-After`: send the same batch again. A `503` with code `collection-busy` means the service is shedding load: send again after `Retry-After` seconds.",
		Tags:          []string{"Visits"},
		DefaultStatus: http.StatusAccepted,
		Responses: map[string]*huma.Response{
			"200": jsonResponse[batchReceived](hapi, "Durable: every event is stored."),
			"202": jsonResponse[batchReceived](hapi, "Every event is accepted and queued for writing."),
		},
		Errors:           []int{http.StatusServiceUnavailable},
		Middlewares:      huma.Middlewares{captureClient},
		SkipValidateBody: true,
	}, func(ctx context.Context, in *rawEventInput) (*batchOutput, error) {
		if err := collector.WaitForRoom(); err != nil {
			return nil, err
		}
		var b eventBatch
		if err := decodeEventBody(ctx, in.RawBody, &b); err != nil {
			return nil, err
		}
		if len(b.Events) == 0 || len(b.Events) > visits.MaxBatch {
			return nil, hpa.Invalid("body.events", fmt.Sprintf("send 1 to %d events", visits.MaxBatch))
		}
		events := b.events()
		collect, status := collector.Collect, http.StatusAccepted
		if b.Durable {
			collect, status = collector.CollectDurable, http.StatusOK
		}
		if err := collect(ctx, requestOf(ctx).client, events, func(i int) string { return fmt.Sprintf("body.events[%d].", i) }); err != nil {
			return nil, err
		}
		return &batchOutput{Status: status, Body: batchReceived{Received: len(events)}}, nil
	})
	documentEventBody[eventBatch](hapi, "/v1/events/batch", "1 to 500 events.", "application/json")
}

func requestOf(ctx context.Context) eventRequest {
	r, _ := ctx.Value(eventRequestKey{}).(eventRequest)
	return r
}

func (b EventFields) event() visits.Event {
	return visits.Event{Name: b.Name, URL: b.URL, Referrer: b.Referrer, ScreenWidth: b.ScreenWidth,
		UTMSource: b.UTMSource, UTMMedium: b.UTMMedium, UTMCampaign: b.UTMCampaign, UTMContent: b.UTMContent,
		UTMTerm: b.UTMTerm, Props: b.Props}
}

func (e batchEvent) event() visits.Event {
	ev := e.EventFields.event()
	ev.ID, ev.Timestamp, ev.UserAgent, ev.IP = e.ID, e.Timestamp, e.UserAgent, e.IP
	return ev
}

func (b eventBatch) events() []visits.Event {
	events := make([]visits.Event, len(b.Events))
	for i, e := range b.Events {
		events[i] = e.event()
	}
	return events
}

// decodeEventBody parses an events body: JSON, sent as application/json
// or (by sendBeacon) text/plain. Unknown fields are refused, as
// everywhere in the API.
func decodeEventBody(ctx context.Context, body []byte, v any) error {
	ct := "application/json"
	if raw := requestOf(ctx).contentType; raw != "" {
		mt, _, err := mime.ParseMediaType(raw)
		if err != nil {
			return unsupportedMedia(ctx, raw)
		}
		ct = mt
	}
	if ct != "application/json" && ct != "text/plain" {
		return unsupportedMedia(ctx, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON document")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return hpa.Invalid("body."+jsonPath(typeErr.Field), "must be "+jsonKind(typeErr.Type))
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return hpa.Invalid("body", "timestamps must be RFC 3339, such as 2026-05-01T10:00:00Z")
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return hpa.Invalid("body."+strings.Trim(field, `"`), "unknown field")
	}
	return requestProblem(ctx, http.StatusBadRequest, "the body is not a valid JSON document: "+err.Error())
}

// jsonPath drops the Go names of embedded structs from a decoding error's
// field path (JSON names here are all lower case).
func jsonPath(field string) string {
	var parts []string
	for _, p := range strings.Split(field, ".") {
		if p != "" && !(p[0] >= 'A' && p[0] <= 'Z') {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "a " + t.Kind().String()
}

func unsupportedMedia(ctx context.Context, ct string) error {
	return requestProblem(ctx, http.StatusUnsupportedMediaType, fmt.Sprintf("send the events as JSON with Content-Type application/json or text/plain, not %q", ct))
}

// requestProblem is a problem about the request as a whole (no domain
// code maps to it), carrying the request ID like every other.
func requestProblem(ctx context.Context, status int, detail string) *Problem {
	p := newProblem(status, "", detail)
	p.RequestID = logging.RequestID(ctx)
	p.Instance = requestOf(ctx).path
	return p
}

// documentEventBody replaces the raw body's placeholder schema with T's,
// under each media type the operation accepts.
func documentEventBody[T any](hapi huma.API, path, description string, mediaTypes ...string) {
	schema := hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	op := hapi.OpenAPI().Paths[path].Post
	op.RequestBody.Description = description
	op.RequestBody.Required = true
	op.RequestBody.Content = map[string]*huma.MediaType{}
	for _, mt := range mediaTypes {
		op.RequestBody.Content[mt] = &huma.MediaType{Schema: schema}
	}
}
