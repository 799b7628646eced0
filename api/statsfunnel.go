package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/visits"
)

type funnelStepInput struct {
	Page      string `json:"page,omitempty" maxLength:"200" example:"/donate" doc:"A page path; * stands for any text within a segment, ** for any text. Give this or event_name."`
	EventName string `json:"event_name,omitempty" maxLength:"60" example:"donate-clicked" doc:"A custom event's name. Give this or page."`
}

type funnelInput struct {
	Accept string `header:"Accept" maxLength:"1024" doc:"application/json (default) or text/csv."`
	Body   struct {
		DateRange dateRange         `json:"date_range" doc:"A preset (day, 7d, 30d, month, 12mo, year, all) or [first, last] dates, inclusive, within the raw events kept."`
		Steps     []funnelStepInput `json:"steps" minItems:"2" maxItems:"8" doc:"2 to 8 steps, in the order a visit must reach them."`
		Filters   []statsFilter     `json:"filters,omitempty" maxItems:"10" doc:"Count only the visits these keep, as for /v1/stats/query."`
	}
}

type funnelStep struct {
	Step               int     `json:"step" example:"2" doc:"1 for the first step."`
	Page               string  `json:"page,omitempty" example:"/donate"`
	EventName          string  `json:"event_name,omitempty" example:"donate-clicked"`
	Visitors           int64   `json:"visitors" example:"120" doc:"Visitors (unique per day) who reached this step after every step before it, in order, in one visit."`
	Visits             int64   `json:"visits" example:"131"`
	DropOff            int64   `json:"drop_off" example:"80" doc:"Visitors who reached the step before but not this one."`
	ConversionRate     float64 `json:"conversion_rate" example:"30" doc:"Visitors as a percentage of the first step's."`
	StepConversionRate float64 `json:"step_conversion_rate" example:"60" doc:"Visitors as a percentage of the step before's."`
}

type funnelResult struct {
	Steps    []funnelStep `json:"steps"`
	From     string       `json:"from" format:"date"`
	To       string       `json:"to" format:"date"`
	TimeZone string       `json:"time_zone" example:"Europe/London"`
}

// funnelCounter answers funnels; visits.Service is one.
type funnelCounter interface {
	Funnel(ctx context.Context, fq visits.FunnelQuery) (*visits.FunnelResult, error)
}

func registerStatsFunnel(hapi huma.API, stats statsReader) {
	register(hapi, statsAccess, huma.Operation{
		OperationID: "query-stats-funnel",
		Method:      http.MethodPost,
		Path:        "/v1/stats/funnel",
		Summary:     "Follow visits through a funnel",
		Description: "Where do people drop out on the way to donating? Give 2 to 8 steps (pages or custom events) in order: for each, the visitors who reached it after every step before it within one visit, the drop-off from the step before and the conversion from the first step. Filters keep visits as in `/v1/stats/query`. Counted from raw events, so the range must lie within the raw events kept (`422 range-beyond-raw-events`; `filtered-range-too-long` when counting takes over 20 s). `Accept: text/csv` gives one row per step.",
		Tags:        []string{"Statistics"},
		Errors:      []int{http.StatusNotAcceptable},
		Responses:   csvResponses[funnelResult](hapi, "One entry per step, in order."),
	}, func(ctx context.Context, in *funnelInput) (*documentOutput, error) {
		asCSV, err := statsFormat(in.Accept)
		if err != nil {
			return nil, err
		}
		fq := visits.FunnelQuery{Range: in.Body.DateRange.visits("body.date_range"), At: "body."}
		for _, st := range in.Body.Steps {
			fq.Steps = append(fq.Steps, visits.FunnelStep{Page: st.Page, EventName: st.EventName})
		}
		for _, f := range in.Body.Filters {
			fq.Filters = append(fq.Filters, f.visits())
		}
		res, err := stats.Funnel(ctx, fq)
		if err != nil {
			return nil, err
		}
		d := dates(res.From, res.To)
		steps, rows := funnelFigures(in.Body.Steps, res)
		if asCSV {
			return csvDocument(rows), nil
		}
		return jsonDocument(funnelResult{From: d[0], To: d[1], TimeZone: stats.Location().String(), Steps: steps}), nil
	})
}

// funnelFigures are a funnel's answer, a step at a time: as JSON and as
// CSV rows (a header, then a row per step).
func funnelFigures(steps []funnelStepInput, res *visits.FunnelResult) ([]funnelStep, [][]string) {
	out := make([]funnelStep, len(res.Steps))
	rows := [][]string{{"step", "page", "event_name", "visitors", "visits", "drop_off", "conversion_rate", "step_conversion_rate"}}
	for i, f := range res.Steps {
		st := steps[i]
		out[i] = funnelStep{Step: i + 1, Page: st.Page, EventName: st.EventName, Visitors: f.Visitors, Visits: f.Visits,
			DropOff: f.DropOff, ConversionRate: f.ConversionRate, StepConversionRate: f.StepConversionRate}
		rows = append(rows, append([]string{strconv.Itoa(i + 1), st.Page, st.EventName},
			formatNumbers([]float64{float64(f.Visitors), float64(f.Visits), float64(f.DropOff), f.ConversionRate, f.StepConversionRate})...))
	}
	return out, rows
}
