package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/identity"
)

type donationOptions struct {
	Currency       string   `json:"currency" enum:"GBP"`
	MinPence       int64    `json:"min_pence" example:"100" doc:"Smallest gift, in pence."`
	MaxPence       int64    `json:"max_pence" example:"1000000" doc:"Largest online gift, in pence."`
	PresetsPence   []int64  `json:"presets_pence" example:"[500,1000,2500,5000]" doc:"Amounts to offer as buttons."`
	Frequencies    []string `json:"frequencies" example:"[\"one_off\",\"monthly\"]"`
	GiftAidWording string   `json:"gift_aid_wording_version" doc:"The declaration wording version to show and send back (see GET /v1/gift-aid/wording)."`
}

type GiftAidFields struct {
	Title             string `json:"title,omitempty" maxLength:"4" example:"Ms" doc:"Optional, at most 4 characters (HMRC)."`
	FirstName         string `json:"first_name" minLength:"1" maxLength:"35" example:"Ann"`
	LastName          string `json:"last_name" minLength:"1" maxLength:"35" example:"Lee"`
	HouseNameOrNumber string `json:"house_name_or_number" minLength:"1" maxLength:"40" example:"12"`
	Postcode          string `json:"postcode" minLength:"1" maxLength:"10" example:"S19 2BD" doc:"A UK postcode, or X if the donor lives outside the UK."`
	Scope             string `json:"scope" enum:"this_gift,this_and_future,past_four_years_and_future" doc:"What the declaration covers; a monthly gift needs this_and_future or past_four_years_and_future."`
	WordingVersion    string `json:"wording_version" minLength:"1" maxLength:"40" example:"hmrc-model-2026" doc:"The version of the wording the donor was shown and agreed to."`
	UKTaxpayer        bool   `json:"uk_taxpayer" doc:"Must be true: the donor confirms they pay enough UK tax."`
}

func (g *GiftAidFields) declaration() *giftaid.NewDeclaration {
	if g == nil {
		return nil
	}
	return &giftaid.NewDeclaration{Person: giftaid.Person{Title: g.Title, FirstName: g.FirstName, LastName: g.LastName,
		HouseNameOrNumber: g.HouseNameOrNumber, Postcode: g.Postcode}, Scope: giftaid.Scope(g.Scope), WordingVersion: g.WordingVersion, UKTaxpayer: g.UKTaxpayer}
}

type checkoutRequest struct {
	AmountPence int64          `json:"amount_pence" minimum:"1" example:"2500" doc:"Whole pence (2500 is £25.00), between min_pence and max_pence of GET /v1/donations/options."`
	Currency    string         `json:"currency" enum:"GBP" doc:"Gifts are taken in pounds sterling only."`
	Frequency   GiftFrequency  `json:"frequency"`
	Campaign    string         `json:"campaign" minLength:"1" maxLength:"60" example:"general" doc:"The slug of an open campaign (GET /v1/campaigns)."`
	Email       string         `json:"email,omitempty" format:"email" maxLength:"254" doc:"Prefills Stripe's form; the receipt goes to the address entered there."`
	GiftAid     *GiftAidFields `json:"gift_aid,omitempty" doc:"The donor's Gift Aid declaration, if they make one."`
	MemberID    string         `json:"member_id,omitempty" format:"uuid" doc:"Links the gift to a member record. Only staff with the treasurer role may set it, and only to a member who confirmed their address and was not erased (otherwise 422 unknown-member); a member giving with their member token is linked without it."`
}

type checkoutInput struct {
	IdempotencyKey
	RawBody []byte
	Body    checkoutRequest
}

type checkoutResponse struct {
	CheckoutID string    `json:"checkout_id" format:"uuid"`
	SessionID  string    `json:"session_id" example:"cs_test_a1b2c3" doc:"Stripe's Checkout Session ID."`
	URL        string    `json:"url" doc:"Send the donor here (Stripe's hosted payment page)."`
	ExpiresAt  time.Time `json:"expires_at" doc:"When the session stops accepting payment."`
}

type totalsBody struct {
	From  time.Time       `json:"from" doc:"Start of the period (1 January, UK time)."`
	To    time.Time       `json:"to"`
	Items []campaignTotal `json:"items"`
}

type campaignTotal struct {
	Campaign   string `json:"campaign" example:"webinars"`
	Name       string `json:"name" example:"Webinars"`
	TotalPence int64  `json:"total_pence" doc:"Gifts less refunds and disputed payments (net of reversals), each counted when the money moved."`
	GiftCount  int64  `json:"gift_count"`
}

type totalsOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         totalsBody
}

type portalInput struct {
	Body struct {
		Token string `json:"token" minLength:"1" maxLength:"2048" doc:"The token from the management link in the donor's receipt email."`
	}
}

type portalSession struct {
	URL string `json:"url" doc:"Stripe's Customer Portal for this donor; send them there."`
}

func registerDonations(hapi huma.API, svc *donations.Service, keys idempotencyStore) {
	register(hapi, public, huma.Operation{
		OperationID: "get-donation-options",
		Method:      http.MethodGet,
		Path:        "/v1/donations/options",
		Summary:     "Get the amounts a donate page may offer",
		Description: "The currency, the smallest and largest gift, preset amounts and the current Gift Aid wording version. " + staticCachingNote,
		Tags:        []string{"Donations"},
		Responses:   encodedResponses[donationOptions](hapi, "What the donate page may offer."),
		Metadata:    map[string]any{noDatabaseKey: true, cacheableKey: true},
	}, func(ctx context.Context, in *ConditionalGet) (*encodedOutput, error) {
		s := svc.Settings()
		presets := s.Presets
		if presets == nil {
			presets = []int64{}
		}
		return hashedDocument(ctx, in.IfNoneMatch, donationOptions{Currency: "GBP", MinPence: s.MinPence, MaxPence: s.MaxPence, PresetsPence: presets,
			Frequencies: []string{donations.OneOff, donations.Monthly}, GiftAidWording: giftaid.CurrentWordingVersion}, publicCacheControl)
	})

	register(hapi, publicOrMember, huma.Operation{
		OperationID: "create-donation-checkout",
		Method:      http.MethodPost,
		Path:        "/v1/donations/checkout",
		Summary:     "Start a gift: create a Stripe Checkout session",
		Description: "Validates the gift on the server (whole pence within the configured limits, GBP, an open campaign, a complete Gift Aid declaration) and creates a Stripe Checkout Session: a one-off payment (`submit_type=donate`) or a monthly subscription. Redirect the donor to `url`. Nothing here records a gift: the ledger is written only when Stripe confirms payment through the signed webhook. Send an `Idempotency-Key` so a retried press of the button never starts two payments.",
		Tags:        []string{"Donations"},
		Responses:   map[string]*huma.Response{"201": jsonResponse[checkoutResponse](hapi, "The Stripe Checkout Session to send the donor to.")},
		Errors:      []int{http.StatusConflict, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *checkoutInput) (*replayableOutput, error) {
		req := donations.CheckoutRequest{AmountPence: in.Body.AmountPence, Currency: in.Body.Currency, Frequency: string(in.Body.Frequency),
			Campaign: in.Body.Campaign, Email: in.Body.Email, GiftAid: in.Body.GiftAid.declaration()}
		if c := callerFrom(ctx); c != nil && c.Kind == identity.Member {
			req.MemberID = &c.ID // a signed-in member's gift is theirs
		}
		if in.Body.MemberID != "" {
			if !callerFrom(ctx).HasRole(identity.RoleTreasurer) {
				return nil, invalidField("body.member_id", "only treasurers may link a gift to a member; members link gifts through their own sign-in")
			}
			id, err := uuidField(in.Body.MemberID, "body.member_id")
			if err != nil {
				return nil, err
			}
			req.MemberID = &id
		}
		return idempotentLeased(ctx, keys, "create-donation-checkout", in.IdempotencyKey.IdempotencyKey, in.RawBody, http.StatusCreated, func(ctx context.Context) (any, error) {
			c, err := svc.CreateCheckout(ctx, req)
			if err != nil {
				return nil, err
			}
			return checkoutResponse{CheckoutID: c.ID.String(), SessionID: c.SessionID, URL: c.URL, ExpiresAt: c.ExpiresAt}, nil
		})
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-donation-totals",
		Method:      http.MethodGet,
		Path:        "/v1/donations/totals",
		Summary:     "Get this year's totals per campaign",
		Description: "For the site's transparency page: what was given to each campaign this calendar year (UK time), less refunds, disputed payments excluded. No personal data.",
		Tags:        []string{"Donations"},
		Metadata:    map[string]any{cacheableKey: true},
	}, func(ctx context.Context, _ *struct{}) (*totalsOutput, error) {
		t, err := svc.YearTotals(ctx)
		if err != nil {
			return nil, err
		}
		out := &totalsOutput{CacheControl: publicCacheControl, Body: totalsBody{From: t.From.UTC(), To: t.To.UTC(), Items: make([]campaignTotal, len(t.Items))}}
		for i, c := range t.Items {
			out.Body.Items[i] = campaignTotal{Campaign: c.Slug, Name: c.Name, TotalPence: c.TotalPence, GiftCount: c.GiftCount}
		}
		return out, nil
	})

	register(hapi, public, huma.Operation{
		OperationID:   "create-donor-portal-session",
		Method:        http.MethodPost,
		Path:          "/v1/donations/portal-sessions",
		Summary:       "Open a monthly donor's Stripe Customer Portal",
		Description:   "Exchanges the token in a donor's emailed management link (valid 30 days) for a Stripe Customer Portal session, where they change the amount or card of their monthly gift or cancel it. Stripe's events bring the change back into the ledger.",
		Tags:          []string{"Donations"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *portalInput) (*struct{ Body portalSession }, error) {
		url, err := svc.PortalSession(ctx, in.Body.Token)
		if err != nil {
			return nil, err
		}
		return &struct{ Body portalSession }{Body: portalSession{URL: url}}, nil
	})

	registerLedger(hapi, svc, keys)
}

func optionalUUID(raw, location string) (*uuid.UUID, error) {
	if raw == "" {
		return nil, nil
	}
	id, err := uuidField(raw, location)
	if err != nil {
		return nil, err
	}
	return &id, nil
}
