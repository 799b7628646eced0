package visits

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Bounds on a funnel's steps.
const (
	minFunnelSteps = 2
	maxFunnelSteps = 8
)

// FunnelStep is one step of a funnel: a page view whose path matches
// Page (where * stands for any text within a segment, ** for any text),
// or a custom event.
type FunnelStep struct {
	Page      string `json:"page,omitempty"`
	EventName string `json:"event_name,omitempty"`
}

// FunnelQuery asks how far visits went through ordered steps.
type FunnelQuery struct {
	Range   DateRange
	Steps   []FunnelStep
	Filters []Filter
	// At prefixes error locations ("body.").
	At string
}

// FunnelFigures are one step's figures.
type FunnelFigures struct {
	// Visitors and Visits reached the step, having reached every step
	// before it, in order, within one visit. Visitors are unique per day.
	Visitors, Visits int64
	// DropOff is the visitors who reached the step before but not this
	// one (0 for the first step).
	DropOff int64
	// ConversionRate is Visitors as a percentage of the first step's;
	// StepConversionRate, of the step before's.
	ConversionRate, StepConversionRate float64
}

// FunnelResult is a funnel's answer, a figure per step in order.
type FunnelResult struct {
	From, To time.Time
	Steps    []FunnelFigures
}

// checkFunnelSteps checks a funnel's steps: 2 to 8, each a page path
// pattern or a custom event's name.
func checkFunnelSteps(steps []FunnelStep, at string) error {
	if n := len(steps); n < minFunnelSteps || n > maxFunnelSteps {
		return hpa.Invalid(at+"steps", fmt.Sprintf("a funnel has %d to %d steps", minFunnelSteps, maxFunnelSteps))
	}
	for i, st := range steps {
		loc := fmt.Sprintf("%ssteps[%d]", at, i)
		switch {
		case (st.Page == "") == (st.EventName == ""):
			return hpa.Invalid(loc, "give either page or event_name")
		case st.EventName != "" && (len(st.EventName) > maxEventNameLen || !eventNamePattern.MatchString(st.EventName)):
			return hpa.Invalid(loc+".event_name", "must be an event's name: 1 to 60 letters, digits, spaces or _ . : / -")
		case st.Page != "" && (len(st.Page) > 200 || !goalPathPattern.MatchString(st.Page)):
			return hpa.Invalid(loc+".page", "must be a path starting with / (at most 200 bytes), where * stands for any text within a segment and ** for any text")
		}
	}
	return nil
}

// Funnel counts, from raw events, the visits (and visitors) that reached
// each step of a funnel in order within one visit, among the visits the
// filters keep.
func (s *Service) Funnel(ctx context.Context, fq FunnelQuery) (*FunnelResult, error) {
	if err := checkFunnelSteps(fq.Steps, fq.At); err != nil {
		return nil, err
	}
	steps := make([]Goal, len(fq.Steps))
	for i, st := range fq.Steps {
		steps[i] = Goal{Name: strconv.Itoa(i + 1), EventName: st.EventName, PagePath: st.Page}
	}
	q := Query{Metrics: []string{"visitors"}, Range: fq.Range, Filters: fq.Filters, At: fq.At}
	if err := q.validate(); err != nil {
		return nil, err
	}
	if q.usesGoals() {
		goals, err := s.Goals(ctx)
		if err != nil {
			return nil, err
		}
		if err := q.expandGoals(goals, ""); err != nil {
			return nil, err
		}
	}
	from, to, err := s.Resolve(ctx, q.Range)
	if err != nil {
		return nil, err
	}
	if err := s.checkRawRange(q, from); err != nil {
		return nil, err
	}
	q.goals = steps
	rows, err := s.filteredGroups(ctx, q, "", "funnel", from, to)
	if err != nil {
		return nil, err
	}
	reached := make([]sums, len(steps))
	for _, r := range rows {
		if i, err := strconv.Atoi(r.dims[0]); err == nil && i >= 1 && i <= len(steps) {
			reached[i-1] = r.sums
		}
	}
	out := &FunnelResult{From: from, To: to, Steps: make([]FunnelFigures, len(steps))}
	percent := func(n, d int64) float64 {
		if d == 0 {
			return 0
		}
		return math.Round(float64(n)/float64(d)*1000) / 10
	}
	for i, r := range reached {
		f := FunnelFigures{Visitors: r.visitors, Visits: r.visits, ConversionRate: percent(r.visitors, reached[0].visitors)}
		if i > 0 {
			f.DropOff = reached[i-1].visitors - r.visitors
			f.StepConversionRate = percent(r.visitors, reached[i-1].visitors)
		} else if r.visitors > 0 {
			f.StepConversionRate = 100
		}
		out.Steps[i] = f
	}
	return out, nil
}
