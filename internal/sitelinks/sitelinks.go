package sitelinks

import (
	"net/url"
	"strings"
)

// Param is a value a site page receives in its address.
type Param struct {
	// Name is the query parameter's name, or the {name} in Path.
	Name string
	// InPath is true for a path segment, false for a query parameter.
	InPath bool
	// Meaning says what the page does with it.
	Meaning string
}

// Route is one page of the website the API links to.
type Route struct {
	// Path is relative to HPA_SITE_URL; {name} marks a path parameter.
	Path string
	// Purpose says what the page is for and which API call it makes.
	Purpose string
	// Params are what the page receives, in the order URL takes them.
	Params []Param
}

// The routes, one per page. Changing a Path changes every email and the
// contract together; the website must serve the new path first.
var (
	Confirm = Route{Path: "/members/confirm",
		Purpose: "Confirms a signup (double opt-in): POST the token to `/v1/members/confirm`, which returns a member token.",
		Params:  []Param{{Name: "token", Meaning: "single-use confirmation token, valid 48 hours"}}}
	SignIn = Route{Path: "/members/sign-in",
		Purpose: "Signs a member in from an emailed link: POST the token to `/v1/members/sign-in`, which returns a member token.",
		Params:  []Param{{Name: "token", Meaning: "single-use sign-in token, valid 15 minutes"}}}
	Unsubscribe = Route{Path: "/members/unsubscribe",
		Purpose: "The \"Stop these emails\" link in every member email's footer: POST `/v1/unsubscribe?token=…` (mail clients POST the same URL themselves, RFC 8058, from the `List-Unsubscribe` header).",
		Params:  []Param{{Name: "token", Meaning: "the member's unsubscribe token; it never expires and may be used again"}}}
	Opportunity = Route{Path: "/opportunities/{id}",
		Purpose: "One opportunity, linked from alerts, digests and registration emails: `GET /v1/opportunities/{id}`.",
		Params:  []Param{{Name: "id", InPath: true, Meaning: "the opportunity's id"}}}
	CancelRegistration = Route{Path: "/events/cancel",
		Purpose: "Cancels a place at an event from the confirmation email: POST the token to `/v1/registrations/cancel`.",
		Params:  []Param{{Name: "token", Meaning: "the registration's cancellation token"}}}
	Donate = Route{Path: "/donate",
		Purpose: "The donate page; Stripe Checkout returns here when the donor cancels, and the Stripe billing portal returns here.",
		Params:  []Param{{Name: "cancelled", Meaning: "`1` when the donor left Checkout without giving (absent otherwise)"}}}
	DonateThanks = Route{Path: "/donate/thanks",
		Purpose: "Where Stripe Checkout sends the donor after paying: thank them; the gift reaches the ledger when Stripe confirms it (docs/donations.md).",
		Params:  []Param{{Name: "session_id", Meaning: "the Stripe Checkout session id"}}}
	ManageGift = Route{Path: "/donate/manage",
		Purpose: "Linked from monthly gifts' receipts: POST the token to `/v1/donations/portal-sessions` and send the donor to the returned Stripe portal `url`.",
		Params:  []Param{{Name: "token", Meaning: "the donor's management token, valid 30 days"}}}
	AcceptInvitation = Route{Path: "/staff/accept-invitation",
		Purpose: "A staff invitation: POST the token with a password to `/v1/auth/invitations/accept`.",
		Params:  []Param{{Name: "token", Meaning: "single-use invitation token"}}}
)

// Routes are every route, in the order the documentation lists them.
var Routes = []Route{Confirm, SignIn, Unsubscribe, Opportunity, CancelRegistration, Donate, DonateThanks, ManageGift, AcceptInvitation}

// URL is the route's address on site (HPA_SITE_URL), with values for its
// Params in order; an empty value leaves a query parameter out. Values
// are escaped; a value of the form {NAME} is kept as it is, for
// placeholders another service fills in (Stripe's {CHECKOUT_SESSION_ID}).
func (r Route) URL(site string, values ...string) string {
	path := r.Path
	query := []string{}
	for i, p := range r.Params {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		escaped := url.QueryEscape(v)
		if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
			escaped = v
		}
		switch {
		case p.InPath:
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(v), 1)
		case v != "":
			query = append(query, p.Name+"="+escaped)
		}
	}
	u := strings.TrimSuffix(site, "/") + path
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// Table renders Routes as a Markdown table, for the contract's
// description and docs/content.md.
func Table() string {
	var b strings.Builder
	b.WriteString("| site route (under `HPA_SITE_URL`) | receives | what the page does |\n|---|---|---|\n")
	for _, r := range Routes {
		params := []string{}
		for _, p := range r.Params {
			where := "query"
			if p.InPath {
				where = "path"
			}
			params = append(params, "`"+p.Name+"` ("+where+"): "+p.Meaning)
		}
		b.WriteString("| `" + r.Path + "` | " + strings.Join(params, "; ") + " | " + r.Purpose + " |\n")
	}
	return b.String()
}
