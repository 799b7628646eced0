package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/visits"
)

// statsSharer keeps the shared links to the statistics; visits.Shares is one.
type statsSharer interface {
	Create(ctx context.Context, in visits.NewShare) (visits.Share, string, error)
	List(ctx context.Context) ([]visits.Share, error)
	Revoke(ctx context.Context, id uuid.UUID) (visits.Share, error)
	Open(ctx context.Context, token string) (visits.Share, error)
	Unlock(ctx context.Context, token, password string) (string, time.Time, error)
	Authorize(ctx context.Context, token, session, report string) (visits.Share, error)
	AuthorizeFunnel(ctx context.Context, token, session string, funnel uuid.UUID) (visits.Share, error)
}

type statsShare struct {
	ID               string         `json:"id" format:"uuid"`
	Name             string         `json:"name" example:"Trustees' dashboard"`
	PasswordRequired bool           `json:"password_required" doc:"Whether reading needs the password (POST /v1/shared-stats/session)."`
	Reports          []string       `json:"reports" example:"[\"summary\",\"timeseries\",\"source\"]" doc:"The reports the link reads: summary, timeseries, or a breakdown by the dimension named. Every one of them when created without a list."`
	Funnels          []sharedFunnel `json:"funnels" doc:"The saved funnels the link reads (GET /v1/shared-stats/funnels/{id}); none unless listed when it was created."`
	Status           string         `json:"status" enum:"active,expired,revoked"`
	ExpiresAt        *time.Time     `json:"expires_at,omitempty"`
	RevokedAt        *time.Time     `json:"revoked_at,omitempty"`
	CreatedAt        time.Time      `json:"created_at"`
}

func shareBody(sh visits.Share, now time.Time) statsShare {
	reports := sh.Reports
	if len(reports) == 0 {
		reports = visits.ShareReports
	}
	status := "active"
	switch {
	case sh.RevokedAt != nil:
		status = "revoked"
	case sh.ExpiresAt != nil && !sh.ExpiresAt.After(now):
		status = "expired"
	}
	return statsShare{ID: sh.ID.String(), Name: sh.Name, PasswordRequired: sh.HasPassword, Reports: slices.Clone(reports), Status: status,
		Funnels: sharedFunnels(sh.Funnels), ExpiresAt: sh.ExpiresAt, RevokedAt: sh.RevokedAt, CreatedAt: sh.CreatedAt}
}

// sharedFunnel is a saved funnel as a shared link's readers see it: what
// a dashboard needs to lay it out.
type sharedFunnel struct {
	ID    string            `json:"id" format:"uuid"`
	Name  string            `json:"name" example:"Donate journey"`
	Steps []funnelStepInput `json:"steps"`
}

func sharedFunnels(list []visits.SavedFunnel) []sharedFunnel {
	out := make([]sharedFunnel, len(list))
	for i, f := range list {
		out[i] = sharedFunnel{ID: f.ID.String(), Name: f.Name, Steps: funnelSteps(f.Steps)}
	}
	return out
}

type createdStatsShare struct {
	Token string     `json:"token" example:"hpa_share_3q2-7wEjQm…" doc:"The link's token. Shown once: send it to whoever the link is for. Readers send it as the X-Share-Token header (a dashboard page can take it from its URL's fragment, which browsers never send to a server)."`
	Share statsShare `json:"share"`
}

type createStatsShareInput struct {
	Body struct {
		Name      string     `json:"name" minLength:"1" maxLength:"100" example:"Trustees' dashboard" doc:"Who or what the link is for."`
		Password  string     `json:"password,omitempty" minLength:"12" maxLength:"256" doc:"Optional: readers must give it (POST /v1/shared-stats/session) before reading. Stored as an argon2id hash."`
		Reports   []string   `json:"reports,omitempty" maxItems:"15" enum:"summary,timeseries,page,entry_page,source,utm_source,utm_medium,utm_campaign,utm_content,utm_term,country,device,browser,os,event_name" doc:"The reports the link may read; omit for all of them."`
		Funnels   []string   `json:"funnels,omitempty" maxItems:"10" doc:"IDs of saved funnels (GET /v1/stats/funnels) the link may read, whether or not reports is limited; omit for none."`
		ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the link stops working; omit for never (until revoked)."`
	}
}

type statsShareList struct {
	Items  []statsShare `json:"items" doc:"The shared links."`
	Shares []statsShare `json:"shares" deprecated:"true" doc:"The same as items, under its 1.1 name. Deprecated since 1.2.0: read items; shares goes in 2.0.0."`
}

type shareIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Shared link ID."`
}

// ShareCredentials are a shared link's token and, for a link with a
// password, the session that unlocked it (exported so huma sees its fields
// where it is embedded). Headers rather than the path, so that tokens stay
// out of access logs and Referer headers.
type ShareCredentials struct {
	Token   string `header:"X-Share-Token" required:"true" maxLength:"100" doc:"The shared link's token (hpa_share_…)."`
	Session string `header:"X-Share-Session" maxLength:"100" doc:"For a link with a password: the session POST /v1/shared-stats/session gave."`
}

type sharedStatsInfo struct {
	Name             string         `json:"name" example:"Trustees' dashboard"`
	PasswordRequired bool           `json:"password_required" doc:"Whether the reports need a session from POST /v1/shared-stats/session."`
	Reports          []string       `json:"reports" doc:"The reports this link reads."`
	Funnels          []sharedFunnel `json:"funnels" doc:"The saved funnels this link reads (GET /v1/shared-stats/funnels/{id})."`
	ExpiresAt        *time.Time     `json:"expires_at,omitempty"`
	TimeZone         string         `json:"time_zone" example:"Europe/London"`
}

type unlockSharedStatsInput struct {
	ShareCredentials
	Body struct {
		Password string `json:"password" minLength:"1" maxLength:"256"`
	}
}

type sharedStatsSession struct {
	Session   string    `json:"session" doc:"Send it as the X-Share-Session header with the link's token."`
	ExpiresAt time.Time `json:"expires_at" doc:"An hour from now; then unlock again."`
}

type sharedSummaryInput struct {
	ShareCredentials
	SummaryQuery
}

type sharedTimeseriesInput struct {
	ShareCredentials
	TimeseriesQuery
}

type sharedBreakdownInput struct {
	ShareCredentials
	BreakdownQuery
}

// sharedAccessNote is why the shared reports are safe to give without an
// account; every shared operation's description ends with it.
const sharedAccessNote = " The link's token goes in the `X-Share-Token` header; a link with a password also needs `X-Share-Session` (`POST /v1/shared-stats/session`). " +
	"Only aggregate reports, one dimension at a time, without filters across dimensions: nothing a link reads can single out a visit or a person. " +
	"Each link may make 120 requests a minute (429 after, with RateLimit fields); a revoked or expired link answers 403 `forbidden` (the detail says which), a report the link does not include 403 `insufficient-permissions`; a link with a password answers 401 `credentials-required` without a session and `invalid-token` with one that has expired."

func registerStatsShares(hapi huma.API, shares statsSharer, stats statsReader, limit *addressLimit, unlockLimit *addressLimit) {
	tags := []string{"Statistics"}
	register(hapi, adminOnly, huma.Operation{
		OperationID:   "create-stats-share",
		Method:        http.MethodPost,
		Path:          "/v1/stats/shares",
		Summary:       "Share the statistics with a link",
		Description:   "A read-only link to aggregate statistics for trustees or a partner, who need no account: optionally with a password, limited to some reports, or expiring. The token is shown once (only its hash is kept). Creating and revoking links is in the audit log.",
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createStatsShareInput) (*struct{ Body createdStatsShare }, error) {
		b := in.Body
		funnels := make([]uuid.UUID, len(b.Funnels))
		for i, raw := range b.Funnels {
			id, err := uuid.Parse(raw)
			if err != nil {
				return nil, hpa.Invalid(fmt.Sprintf("body.funnels[%d]", i), "no saved funnel has this ID")
			}
			funnels[i] = id
		}
		sh, token, err := shares.Create(ctx, visits.NewShare{Name: b.Name, Password: b.Password, Reports: b.Reports, Funnels: funnels, ExpiresAt: b.ExpiresAt})
		if err != nil {
			return nil, err
		}
		return &struct{ Body createdStatsShare }{Body: createdStatsShare{Token: token, Share: shareBody(sh, time.Now())}}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID: "list-stats-shares",
		Method:      http.MethodGet,
		Path:        "/v1/stats/shares",
		Summary:     "List shared links",
		Description: "Every shared link, newest first, revoked and expired ones included; never their tokens.",
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body statsShareList }, error) {
		list, err := shares.List(ctx)
		if err != nil {
			return nil, err
		}
		out := statsShareList{Shares: make([]statsShare, len(list))}
		for i, sh := range list {
			out.Shares[i] = shareBody(sh, time.Now())
		}
		out.Items = out.Shares
		return &struct{ Body statsShareList }{Body: out}, nil
	})

	register(hapi, adminOnly, huma.Operation{
		OperationID:   "revoke-stats-share",
		Method:        http.MethodDelete,
		Path:          "/v1/stats/shares/{id}",
		Summary:       "Revoke a shared link",
		Description:   "The link stops working at once (403 `forbidden`), sessions unlocked with its password too; it stays listed as revoked. Revoking again changes nothing.",
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *shareIDInput) (*struct{}, error) {
		id, err := parseID(in.ID, "shared link")
		if err != nil {
			return nil, err
		}
		_, err = shares.Revoke(ctx, id)
		return nil, err
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-shared-stats",
		Method:      http.MethodGet,
		Path:        "/v1/shared-stats",
		Summary:     "What a shared link shows",
		Description: "The link's name, whether it needs its password, and the reports it reads, for a dashboard to lay itself out." + sharedAccessNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
		Middlewares: huma.Middlewares{limit.middleware},
		Metadata:    map[string]any{rateLimitKey: limit.policy},
	}, func(ctx context.Context, in *ShareCredentials) (*struct{ Body sharedStatsInfo }, error) {
		sh, err := shares.Open(ctx, in.Token)
		if err != nil {
			return nil, err
		}
		body := shareBody(sh, time.Now())
		return &struct{ Body sharedStatsInfo }{Body: sharedStatsInfo{Name: sh.Name, PasswordRequired: sh.HasPassword, Reports: body.Reports, Funnels: body.Funnels,
			ExpiresAt: sh.ExpiresAt, TimeZone: stats.Location().String()}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID:   "unlock-shared-stats",
		Method:        http.MethodPost,
		Path:          "/v1/shared-stats/session",
		Summary:       "Unlock a shared link with its password",
		Description:   "As Plausible's password-protected links: the password, once, for a session that reads the link's reports for an hour (X-Share-Session). A wrong password is 403 `wrong-password`; each link may be tried 10 times a minute." + sharedAccessNote,
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound},
		Middlewares:   huma.Middlewares{unlockLimit.middleware},
		Metadata:      map[string]any{rateLimitKey: unlockLimit.policy},
	}, func(ctx context.Context, in *unlockSharedStatsInput) (*struct{ Body sharedStatsSession }, error) {
		session, expires, err := shares.Unlock(ctx, in.Token, in.Body.Password)
		if err != nil {
			return nil, err
		}
		return &struct{ Body sharedStatsSession }{Body: sharedStatsSession{Session: session, ExpiresAt: expires}}, nil
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-shared-stats-summary",
		Method:      http.MethodGet,
		Path:        "/v1/shared-stats/summary",
		Summary:     "Summarise visits through a shared link",
		Description: "`GET /v1/stats/summary` for a shared link's readers (report `summary`)." + sharedAccessNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusNotAcceptable},
		Responses:   csvResponses[summaryResult](hapi, "The period's figures."),
		Middlewares: huma.Middlewares{limit.middleware},
		Metadata:    map[string]any{rateLimitKey: limit.policy},
	}, func(ctx context.Context, in *sharedSummaryInput) (*documentOutput, error) {
		if _, err := shares.Authorize(ctx, in.Token, in.Session, "summary"); err != nil {
			return nil, err
		}
		return summaryReport(ctx, stats, &in.SummaryQuery)
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-shared-stats-timeseries",
		Method:      http.MethodGet,
		Path:        "/v1/shared-stats/timeseries",
		Summary:     "Visits over time through a shared link",
		Description: "`GET /v1/stats/timeseries` for a shared link's readers (report `timeseries`)." + sharedAccessNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusNotAcceptable},
		Responses:   csvResponses[timeseriesResult](hapi, "One point per bucket."),
		Middlewares: huma.Middlewares{limit.middleware},
		Metadata:    map[string]any{rateLimitKey: limit.policy},
	}, func(ctx context.Context, in *sharedTimeseriesInput) (*documentOutput, error) {
		if _, err := shares.Authorize(ctx, in.Token, in.Session, "timeseries"); err != nil {
			return nil, err
		}
		return timeseriesReport(ctx, stats, &in.TimeseriesQuery)
	})

	register(hapi, public, huma.Operation{
		OperationID: "get-shared-stats-breakdown",
		Method:      http.MethodGet,
		Path:        "/v1/shared-stats/breakdown/{dimension}",
		Summary:     "Break visits down through a shared link",
		Description: "`GET /v1/stats/breakdown/{dimension}` for a shared link's readers (the report named by the dimension; `referrer`, an outside page's address that can name a person, is never shared)." + sharedAccessNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusNotAcceptable},
		Responses:   csvResponses[breakdownResult](hapi, "One row per value."),
		Middlewares: huma.Middlewares{limit.middleware},
		Metadata:    map[string]any{rateLimitKey: limit.policy},
	}, func(ctx context.Context, in *sharedBreakdownInput) (*pagedOutput, error) {
		if _, err := shares.Authorize(ctx, in.Token, in.Session, in.Dimension); err != nil {
			return nil, err
		}
		return breakdownReport(ctx, stats, &in.BreakdownQuery)
	})
	registerSharedFunnel(hapi, shares, stats, limit)
}
