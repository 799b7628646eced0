package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/visits"
)

// funnelKeeper keeps the saved funnels and evaluates them; visits.Service
// is one.
type funnelKeeper interface {
	SaveFunnel(ctx context.Context, f visits.SavedFunnel) (visits.SavedFunnel, error)
	SavedFunnels(ctx context.Context) ([]visits.SavedFunnel, error)
	SavedFunnel(ctx context.Context, id uuid.UUID) (visits.SavedFunnel, error)
	UpdateFunnel(ctx context.Context, f visits.SavedFunnel) (visits.SavedFunnel, error)
	DeleteFunnel(ctx context.Context, id uuid.UUID) error
	EvaluateFunnel(ctx context.Context, id uuid.UUID, r visits.DateRange, filters []visits.Filter, at string) (visits.SavedFunnel, *visits.FunnelResult, error)
}

type savedFunnelFields struct {
	Name  string            `json:"name" minLength:"1" maxLength:"60" example:"Donate journey" doc:"How the funnel is known: unique, shown in the export's file name and to a shared link's readers."`
	Steps []funnelStepInput `json:"steps" minItems:"2" maxItems:"8" doc:"2 to 8 steps, in the order a visit must reach them, as POST /v1/stats/funnel takes them."`
}

type saveFunnelInput struct {
	Body savedFunnelFields
}

type updateFunnelInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Saved funnel ID."`
	Body savedFunnelFields
}

type funnelIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Saved funnel ID."`
}

type savedFunnel struct {
	ID        string            `json:"id" format:"uuid"`
	Name      string            `json:"name" example:"Donate journey"`
	Steps     []funnelStepInput `json:"steps"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

type savedFunnelList struct {
	Items []savedFunnel `json:"items" doc:"The saved funnels, by name."`
}

// FunnelReportQuery is what evaluating a saved funnel takes (exported so
// huma sees its fields where it is embedded).
type FunnelReportQuery struct {
	ID string `path:"id" maxLength:"64" doc:"Saved funnel ID."`
	PeriodQuery
	Accept string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
}

type funnelReportInput struct {
	FunnelReportQuery
	Filters string `query:"filters" maxLength:"4000" example:"[{\"dimension\":\"source\",\"operator\":\"is\",\"values\":[\"Google\"]}]" doc:"Count only the visits these keep: a JSON array of the filters POST /v1/stats/query takes (at most 10), URL-encoded."`
}

type sharedFunnelInput struct {
	ShareCredentials
	FunnelReportQuery
}

type savedFunnelReport struct {
	ID       string       `json:"id" format:"uuid"`
	Name     string       `json:"name" example:"Donate journey"`
	Steps    []funnelStep `json:"steps"`
	From     string       `json:"from" format:"date"`
	To       string       `json:"to" format:"date"`
	TimeZone string       `json:"time_zone" example:"Europe/London"`
}

func funnelSteps(steps []visits.FunnelStep) []funnelStepInput {
	out := make([]funnelStepInput, len(steps))
	for i, st := range steps {
		out[i] = funnelStepInput{Page: st.Page, EventName: st.EventName}
	}
	return out
}

func savedFunnelBody(f visits.SavedFunnel) savedFunnel {
	return savedFunnel{ID: f.ID.String(), Name: f.Name, Steps: funnelSteps(f.Steps), CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (b savedFunnelFields) visits(id uuid.UUID) visits.SavedFunnel {
	f := visits.SavedFunnel{ID: id, Name: b.Name}
	for _, st := range b.Steps {
		f.Steps = append(f.Steps, visits.FunnelStep{Page: st.Page, EventName: st.EventName})
	}
	return f
}

// parseFilters reads the filters of a GET report: a JSON array of the
// query's filters, which the query layer then checks as it checks a
// query's.
func parseFilters(raw string) ([]visits.Filter, error) {
	if raw == "" {
		return nil, nil
	}
	var list []statsFilter
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil || dec.More() || len(list) > 10 {
		return nil, hpa.Invalid("query.filters", "must be a JSON array of at most 10 filters, as POST /v1/stats/query takes them")
	}
	out := make([]visits.Filter, len(list))
	for i, f := range list {
		out[i] = f.visits()
	}
	return out, nil
}

// funnelReport evaluates a saved funnel as JSON or CSV.
func funnelReport(ctx context.Context, stats statsReader, in *FunnelReportQuery, filters []visits.Filter) (*documentOutput, error) {
	asCSV, err := statsFormat(in.Accept)
	if err != nil {
		return nil, err
	}
	id, err := parseID(in.ID, "saved funnel")
	if err != nil {
		return nil, err
	}
	r, err := resolveRange(ctx, stats, in.PeriodQuery)
	if err != nil {
		return nil, err
	}
	f, res, err := stats.EvaluateFunnel(ctx, id, r, filters, "query.")
	if err != nil {
		return nil, err
	}
	d := dates(res.From, res.To)
	steps, rows := funnelFigures(funnelSteps(f.Steps), res)
	if asCSV {
		return csvDocument(rows), nil
	}
	return jsonDocument(savedFunnelReport{ID: f.ID.String(), Name: f.Name, Steps: steps, From: d[0], To: d[1], TimeZone: stats.Location().String()}), nil
}

const savedFunnelNote = " Staff with the `analyst` role (or admins) save, change and delete funnels, as they do goals; analysts and `stats:read` keys read and evaluate them."

func registerStatsFunnels(hapi huma.API, stats statsReader) {
	tags := []string{"Statistics"}
	register(hapi, statsAccess, huma.Operation{
		OperationID: "list-stats-funnels",
		Method:      http.MethodGet,
		Path:        "/v1/stats/funnels",
		Summary:     "List saved funnels",
		Description: "The funnels staff saved, by name, with their steps." + savedFunnelNote,
		Tags:        tags,
	}, func(ctx context.Context, _ *struct{}) (*struct{ Body savedFunnelList }, error) {
		list, err := stats.SavedFunnels(ctx)
		if err != nil {
			return nil, err
		}
		out := savedFunnelList{Items: make([]savedFunnel, len(list))}
		for i, f := range list {
			out.Items[i] = savedFunnelBody(f)
		}
		return &struct{ Body savedFunnelList }{Body: out}, nil
	})

	register(hapi, goalEditors, huma.Operation{
		OperationID:   "create-stats-funnel",
		Method:        http.MethodPost,
		Path:          "/v1/stats/funnels",
		Summary:       "Save a funnel",
		Description:   "Name a funnel (2 to 8 steps, pages or custom events, as `POST /v1/stats/funnel` takes them) to evaluate it over any range (`GET /v1/stats/funnels/{id}/report`), to find it in the export and to share it. Names are unique (`409 funnel-exists`); a site keeps at most 10 funnels (`409 too-many-funnels`: delete one first), because the export counts each from raw events." + savedFunnelNote,
		Tags:          tags,
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict},
	}, func(ctx context.Context, in *saveFunnelInput) (*struct{ Body savedFunnel }, error) {
		f, err := stats.SaveFunnel(ctx, in.Body.visits(uuid.Nil))
		if err != nil {
			return nil, err
		}
		return &struct{ Body savedFunnel }{Body: savedFunnelBody(f)}, nil
	})

	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-funnel",
		Method:      http.MethodGet,
		Path:        "/v1/stats/funnels/{id}",
		Summary:     "Read a saved funnel",
		Description: "A saved funnel's name and steps; its figures are at `GET /v1/stats/funnels/{id}/report`." + savedFunnelNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *funnelIDInput) (*struct{ Body savedFunnel }, error) {
		id, err := parseID(in.ID, "saved funnel")
		if err != nil {
			return nil, err
		}
		f, err := stats.SavedFunnel(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body savedFunnel }{Body: savedFunnelBody(f)}, nil
	})

	register(hapi, goalEditors, huma.Operation{
		OperationID: "update-stats-funnel",
		Method:      http.MethodPut,
		Path:        "/v1/stats/funnels/{id}",
		Summary:     "Change a saved funnel",
		Description: "Replaces the funnel's name and steps (the last change wins). No figures are stored, so every report, export and shared link counts the new steps from then on, over any range. A name another funnel has is `409 funnel-exists`." + savedFunnelNote,
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *updateFunnelInput) (*struct{ Body savedFunnel }, error) {
		id, err := parseID(in.ID, "saved funnel")
		if err != nil {
			return nil, err
		}
		f, err := stats.UpdateFunnel(ctx, in.Body.visits(id))
		if err != nil {
			return nil, err
		}
		return &struct{ Body savedFunnel }{Body: savedFunnelBody(f)}, nil
	})

	register(hapi, goalEditors, huma.Operation{
		OperationID:   "delete-stats-funnel",
		Method:        http.MethodDelete,
		Path:          "/v1/stats/funnels/{id}",
		Summary:       "Delete a saved funnel",
		Description:   "The funnel leaves the list, the export and every shared link that included it; no figures are lost (funnels are counted from raw events)." + savedFunnelNote,
		Tags:          tags,
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *funnelIDInput) (*struct{}, error) {
		id, err := parseID(in.ID, "saved funnel")
		if err != nil {
			return nil, err
		}
		return nil, stats.DeleteFunnel(ctx, id)
	})

	register(hapi, statsAccess, huma.Operation{
		OperationID: "get-stats-funnel-report",
		Method:      http.MethodGet,
		Path:        "/v1/stats/funnels/{id}/report",
		Summary:     "Follow visits through a saved funnel",
		Description: "The saved funnel's figures for a period, exactly as `POST /v1/stats/funnel` gives them for the same steps: per step the visitors who reached it after every step before it within one visit, the drop-off and the conversion from the first step. `filters` keeps visits as in `/v1/stats/query` (a JSON array, URL-encoded). Counted from raw events, so the range must lie within the raw events kept (`422 range-beyond-raw-events`). `Accept: text/csv` gives one row per step.",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusNotAcceptable},
		Responses:   csvResponses[savedFunnelReport](hapi, "One entry per step, in order."),
	}, func(ctx context.Context, in *funnelReportInput) (*documentOutput, error) {
		filters, err := parseFilters(in.Filters)
		if err != nil {
			return nil, err
		}
		return funnelReport(ctx, stats, &in.FunnelReportQuery, filters)
	})
}

// registerSharedFunnel lets a shared link's readers evaluate the saved
// funnels the link includes.
func registerSharedFunnel(hapi huma.API, shares statsSharer, stats statsReader, limit *addressLimit) {
	register(hapi, public, huma.Operation{
		OperationID: "get-shared-stats-funnel",
		Method:      http.MethodGet,
		Path:        "/v1/shared-stats/funnels/{id}",
		Summary:     "Follow visits through a saved funnel, through a shared link",
		Description: "`GET /v1/stats/funnels/{id}/report` for a shared link's readers, for the saved funnels the link includes (listed by `GET /v1/shared-stats`), without filters: `filters` is refused with `400 unknown-parameter`. A funnel the link does not include, or no funnel at all, is 403 `insufficient-permissions`." + sharedAccessNote,
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotFound, http.StatusNotAcceptable},
		Responses:   csvResponses[savedFunnelReport](hapi, "One entry per step, in order."),
		Middlewares: huma.Middlewares{limit.middleware},
		Metadata: map[string]any{rateLimitKey: limit.policy, withheldParamsKey: map[string]string{
			"filters": "is not offered on a shared link: its readers see the funnel unfiltered, over any period " +
				"(a filtered funnel is counted from raw events, too costly to offer to everyone holding the link); " +
				"an analyst filters it with GET /v1/stats/funnels/{id}/report.",
		}},
	}, func(ctx context.Context, in *sharedFunnelInput) (*documentOutput, error) {
		id, err := uuid.Parse(in.ID)
		if err != nil {
			id = uuid.Nil // refused below as a funnel the link does not include
		}
		if _, err := shares.AuthorizeFunnel(ctx, in.Token, in.Session, id); err != nil {
			return nil, err
		}
		return funnelReport(ctx, stats, &in.FunnelReportQuery, nil)
	})
}
