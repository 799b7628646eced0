package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/donations"
)

type DonorSummary struct {
	ID               string    `json:"id" format:"uuid"`
	Email            string    `json:"email,omitempty"`
	Name             string    `json:"name,omitempty"`
	StripeCustomerID string    `json:"stripe_customer_id,omitempty"`
	MemberID         string    `json:"member_id,omitempty" format:"uuid"`
	GiftCount        int64     `json:"gift_count"`
	TotalPence       int64     `json:"total_pence" doc:"Everything given less refunds, disputed payments excluded."`
	Monthly          bool      `json:"monthly" doc:"Has a live monthly gift."`
	CreatedAt        time.Time `json:"created_at"`
}

func donorBody(d *donations.Donor) DonorSummary {
	return DonorSummary{ID: d.ID.String(), Email: d.Email, Name: d.Name, StripeCustomerID: d.StripeCustomerID, MemberID: idString(d.MemberID),
		GiftCount: d.GiftCount, TotalPence: d.TotalPence, Monthly: d.Monthly, CreatedAt: d.CreatedAt.UTC()}
}

type subscription struct {
	ID                   string     `json:"id" format:"uuid"`
	StripeSubscriptionID string     `json:"stripe_subscription_id"`
	Campaign             string     `json:"campaign"`
	AmountPence          int64      `json:"amount_pence"`
	Status               string     `json:"status" example:"active" doc:"Stripe's subscription status: active, past_due, canceled…"`
	CancelAtPeriodEnd    bool       `json:"cancel_at_period_end"`
	CurrentPeriodEnd     *time.Time `json:"current_period_end,omitempty"`
	CanceledAt           *time.Time `json:"canceled_at,omitempty"`
	CreatedAt            time.Time  `json:"created_at"`
}

func subscriptionBody(s *donations.Subscription) subscription {
	return subscription{ID: s.ID.String(), StripeSubscriptionID: s.StripeSubscriptionID, Campaign: s.Campaign, AmountPence: s.AmountPence,
		Status: s.Status, CancelAtPeriodEnd: s.CancelAtPeriodEnd, CurrentPeriodEnd: s.CurrentPeriodEnd, CanceledAt: s.CanceledAt, CreatedAt: s.CreatedAt.UTC()}
}

type donorDetail struct {
	StripeCustomerIDs []string `json:"stripe_customer_ids" doc:"Every Stripe customer this donor record holds, oldest first; stripe_customer_id is the first."`
	DonorSummary
	Subscriptions []subscription `json:"subscriptions"`
	Donations     []donation     `json:"donations" doc:"The latest 200 gifts, newest first."`
}

type donorPage struct {
	Items      []DonorSummary `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

type donorListInput struct {
	PageQuery
	Email string `query:"email" format:"email" maxLength:"254" doc:"Only donors who gave this address, compared in its normalised form (case, a +tag and Gmail's dots ignored): addresses are sealed at rest and found through a keyed hash. Several donor records may share one address until a treasurer merges them."`
}

type donorIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Donor ID."`
}

type statementInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Donor ID."`
	Body statementYear
}

// statementYear is the year a statement lists.
type statementYear struct {
	Year  int    `json:"year" minimum:"2000" maximum:"9999" example:"2026" doc:"The year to list: a calendar year (UK time), or with basis tax_year the UK tax year starting 6 April of it (2026 is 6 April 2026 to 5 April 2027)."`
	Basis string `json:"basis,omitempty" enum:"calendar_year,tax_year" default:"calendar_year" doc:"calendar_year (1 January to 31 December) or tax_year (6 April to 5 April, what a Self Assessment return asks about)."`
}

func (y statementYear) year() donations.StatementYear {
	return donations.StatementYear{Year: y.Year, Basis: y.Basis}
}

type mergeDonorInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The donor that stays: the other donor's records move to it."`
	Body struct {
		DonorID string `json:"donor_id" format:"uuid" doc:"The donor to merge into this one. It keeps only its Stripe customer, which now leads here, and is no longer listed."`
	}
}

type statementQueued struct {
	Queued bool `json:"queued" doc:"The statement email is in the outbox."`
}

func registerDonors(hapi huma.API, svc *donations.Service) {
	register(hapi, treasurers, huma.Operation{
		OperationID: "list-donors",
		Method:      http.MethodGet,
		Path:        "/v1/donors",
		Summary:     "List donors",
		Description: "Donors newest first with their totals, cursor-paginated. Audit-logged.",
		Tags:        []string{"Donations"},
	}, func(ctx context.Context, in *donorListInput) (*struct{ Body donorPage }, error) {
		var before *donations.DonorCursor
		if err := decodeCursor(in.Cursor, &before); err != nil {
			return nil, err
		}
		list, err := svc.ListDonors(ctx, in.Email, before, in.Limit)
		if err != nil {
			return nil, err
		}
		var page donorPage
		page.Items, page.NextCursor = pageOf(list, in.Limit, func(d donations.Donor) DonorSummary { return donorBody(&d) }, func(last donations.Donor) any {
			return donations.DonorCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		})
		return &struct{ Body donorPage }{Body: page}, nil
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "get-donor",
		Method:      http.MethodGet,
		Path:        "/v1/donors/{id}",
		Summary:     "Get a donor with their gifts and monthly subscriptions",
		Description: "`404 donor-merged` for a record a treasurer merged into another (the message names it). Audit-logged.",
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *donorIDInput) (*struct{ Body donorDetail }, error) {
		id, err := parseID(in.ID, "donor")
		if err != nil {
			return nil, err
		}
		return donorDetailOutput(ctx, svc, id)
	})

	register(hapi, treasurers, huma.Operation{
		OperationID: "merge-donors",
		Method:      http.MethodPost,
		Path:        "/v1/donors/{id}/merge",
		Summary:     "Merge another donor record into this one",
		Description: "For two donor records the treasurer knows are one person: payments never merge records, since an address typed into Stripe is a claim and not an identity. The other donor's gifts, monthly subscriptions and Gift Aid declarations move to this one, which also takes whatever it lacks of the other's name, address and member link (so a member linked to either sees both records' giving). The other record keeps only its Stripe customer, so Stripe's later events for that customer land here, and answers `404 donor-merged` from then on. `422` when `donor_id` is this donor, unknown or already merged (`donor-merged`); `409 donors-linked-to-different-members` when the two are linked to different members. Audit-logged with both IDs. Returns the surviving donor.",
		Tags:        []string{"Donations"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *mergeDonorInput) (*struct{ Body donorDetail }, error) {
		id, err := parseID(in.ID, "donor")
		if err != nil {
			return nil, err
		}
		other, err := uuidField(in.Body.DonorID, "body.donor_id")
		if err != nil {
			return nil, err
		}
		if err := svc.MergeDonors(ctx, id, other); err != nil {
			return nil, err
		}
		return donorDetailOutput(ctx, svc, id)
	})

	register(hapi, treasurers, huma.Operation{
		OperationID:   "send-donor-statement",
		Method:        http.MethodPost,
		Path:          "/v1/donors/{id}/statements",
		Summary:       "Email a donor their annual statement",
		Description:   "Queues an email listing the donor's gifts in a calendar year or a UK tax year (`basis`), marking the gifts Gift Aid applies to, for a donor who asked for one. 409 `donor-has-no-email` or `no-gifts-in-year` when there is nothing to send. Audit-logged.",
		Tags:          []string{"Donations"},
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *statementInput) (*struct{ Body statementQueued }, error) {
		id, err := parseID(in.ID, "donor")
		if err != nil {
			return nil, err
		}
		if err := svc.SendStatement(ctx, id, in.Body.year()); err != nil {
			return nil, err
		}
		return &struct{ Body statementQueued }{Body: statementQueued{Queued: true}}, nil
	})
}

// donorDetailOutput is donor id with their subscriptions and latest gifts.
func donorDetailOutput(ctx context.Context, svc *donations.Service, id uuid.UUID) (*struct{ Body donorDetail }, error) {
	d, subs, gifts, err := svc.GetDonor(ctx, id)
	if err != nil {
		return nil, err
	}
	body := donorDetail{DonorSummary: donorBody(d), StripeCustomerIDs: d.StripeCustomerIDs, Subscriptions: make([]subscription, len(subs)), Donations: make([]donation, len(gifts))}
	for i := range subs {
		body.Subscriptions[i] = subscriptionBody(&subs[i])
	}
	for i := range gifts {
		body.Donations[i] = donationBody(&gifts[i])
	}
	return &struct{ Body donorDetail }{Body: body}, nil
}

type myGiving struct {
	Subscriptions []subscription `json:"subscriptions" doc:"Monthly gifts."`
	Donations     []myDonation   `json:"donations" doc:"Gifts, newest first (at most 500)."`
}

type myDonation struct {
	ID            string        `json:"id" format:"uuid"`
	Campaign      string        `json:"campaign"`
	AmountPence   int64         `json:"amount_pence"`
	RefundedPence int64         `json:"refunded_pence"`
	Frequency     GiftFrequency `json:"frequency"`
	Status        string        `json:"status" enum:"paid,partially_refunded,refunded,disputed"`
	GiftAid       bool          `json:"gift_aid" doc:"Made with a Gift Aid declaration."`
	PaidAt        time.Time     `json:"paid_at"`
}

func registerMyGiving(hapi huma.API, svc *donations.Service) {
	register(hapi, memberSelf, huma.Operation{
		OperationID: "list-my-donations",
		Method:      http.MethodGet,
		Path:        "/v1/me/donations",
		Summary:     "List my gifts",
		Description: "A member's own gifts and monthly subscriptions: those made while signed in, or linked to their membership by a treasurer.",
		Tags:        []string{"Self-service"},
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body myGiving }, error) {
		subs, gifts, err := svc.MemberGiving(ctx, callerFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := myGiving{Subscriptions: make([]subscription, len(subs)), Donations: make([]myDonation, len(gifts))}
		for i := range subs {
			out.Subscriptions[i] = subscriptionBody(&subs[i])
		}
		for i, g := range gifts {
			out.Donations[i] = myDonation{ID: g.ID.String(), Campaign: g.Campaign, AmountPence: g.AmountPence, RefundedPence: g.RefundedPence,
				Frequency: GiftFrequency(g.Frequency), Status: g.Status, GiftAid: g.GiftAidDeclarationID != nil, PaidAt: g.PaidAt.UTC()}
		}
		return &struct{ Body myGiving }{Body: out}, nil
	})

	register(hapi, memberSelf, huma.Operation{
		OperationID:   "request-my-donation-statement",
		Method:        http.MethodPost,
		Path:          "/v1/me/donations/statements",
		Summary:       "Email me my statement for a year",
		Description:   "Queues the statement of a calendar year's or a UK tax year's gifts (`basis`) to the email address each of the member's donor records gave with, marking the gifts Gift Aid applies to. 409 `no-gifts-in-year` when there were none. Audit-logged.",
		Tags:          []string{"Self-service"},
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *myStatementInput) (*struct{ Body statementQueued }, error) {
		if err := svc.SendMemberStatement(ctx, callerFrom(ctx).ID, in.Body.year()); err != nil {
			return nil, err
		}
		return &struct{ Body statementQueued }{Body: statementQueued{Queued: true}}, nil
	})
}

type myStatementInput struct {
	Body statementYear
}
