package visits

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// GoalDimension groups figures by goal; as a filter dimension it keeps
// the visits that reached the goals named.
const GoalDimension = "goal"

// ConversionRate is the metric of goals: the percentage of visitors
// (in the same group, other filters applied) who reached the goal.
const ConversionRate = "conversion_rate"

// maxGoals bounds the goals of a site: each is checked against every
// event of a goal query.
const maxGoals = 100

// Goal is a conversion staff define: a custom event, or a page view whose
// path matches PagePath (where * stands for any text within a segment
// and ** for any text).
type Goal struct {
	ID        uuid.UUID
	Name      string
	EventName string
	PagePath  string
	CreatedAt time.Time
}

var goalPathPattern = regexp.MustCompile(`^/[A-Za-z0-9/._~%!$&'()+,;=:@*-]*$`)

// CreateGoal defines a goal.
func (s *Service) CreateGoal(ctx context.Context, g Goal) (Goal, error) {
	var errs []hpa.FieldError
	bad := func(field, msg string) { errs = append(errs, hpa.FieldError{Location: "body." + field, Message: msg}) }
	if g.Name == "" || len(g.Name) > 60 || hpa.TextFault(g.Name) != "" || strings.TrimSpace(g.Name) != g.Name {
		bad("name", "must be 1 to 60 characters of text, without leading or trailing spaces")
	}
	switch {
	case (g.EventName == "") == (g.PagePath == ""):
		bad("event_name", "give either event_name or page_path")
	case g.EventName != "" && (len(g.EventName) > maxEventNameLen || !eventNamePattern.MatchString(g.EventName) || g.EventName == pageviewName):
		bad("event_name", "must be a custom event's name (not pageview): 1 to 60 letters, digits, spaces or _ . : / -")
	case g.PagePath != "" && (len(g.PagePath) > 200 || !goalPathPattern.MatchString(g.PagePath)):
		bad("page_path", "must be a path starting with / (at most 200 bytes), where * stands for any text within a segment and ** for any text")
	}
	if len(errs) > 0 {
		return Goal{}, &hpa.Error{Code: hpa.EINVALID, Message: "validation failed", Fields: errs}
	}
	existing, err := s.Goals(ctx)
	if err != nil {
		return Goal{}, err
	}
	if len(existing) >= maxGoals {
		return Goal{}, hpa.Errorf(hpa.ECONFLICT, "a site may have at most %d goals; delete one first", maxGoals).WithReason(ReasonTooManyGoals)
	}
	row, err := store.Q.VisitGoalInsert(ctx, s.pool, store.VisitGoalInsertParams{Name: g.Name, EventName: nonEmpty(g.EventName), PagePath: nonEmpty(g.PagePath)})
	if errors.Is(err, pgx.ErrNoRows) {
		return Goal{}, hpa.Errorf(hpa.ECONFLICT, "a goal named %q exists", g.Name).WithReason(ReasonGoalExists)
	}
	if err != nil {
		return Goal{}, fmt.Errorf("create goal: %w", err)
	}
	return goalOf(row), nil
}

// Goals lists the goals, by name.
func (s *Service) Goals(ctx context.Context) ([]Goal, error) {
	rows, err := store.Q.VisitGoalList(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("list goals: %w", err)
	}
	out := make([]Goal, len(rows))
	for i, r := range rows {
		out[i] = goalOf(r)
	}
	return out, nil
}

// DeleteGoal deletes a goal; figures are counted from raw events, so no
// history goes with it.
func (s *Service) DeleteGoal(ctx context.Context, id uuid.UUID) error {
	n, err := store.Q.VisitGoalDelete(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("delete goal: %w", err)
	}
	if n == 0 {
		return hpa.Errorf(hpa.ENOTFOUND, "no such goal")
	}
	return nil
}

func goalOf(r store.VisitGoal) Goal {
	g := Goal{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
	if r.EventName != nil {
		g.EventName = *r.EventName
	}
	if r.PagePath != nil {
		g.PagePath = *r.PagePath
	}
	return g
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pagePattern is the goal's path as a regular expression of the subset
// checkPattern accepts.
func (g Goal) pagePattern() string {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g.PagePath); i++ {
		switch {
		case strings.HasPrefix(g.PagePath[i:], "**"):
			b.WriteString(".*")
			i++
		case g.PagePath[i] == '*':
			b.WriteString("[^/]*")
		default:
			b.WriteString(regexp.QuoteMeta(g.PagePath[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

// leaf is the comparison that keeps the visits reaching the goal.
func (g Goal) filter() Filter {
	if g.EventName != "" {
		return Filter{Dimension: "event_name", Operator: "is", Values: []string{g.EventName}, goal: true}
	}
	return Filter{Dimension: "page", Operator: "matches", Values: []string{g.pagePattern()}, goal: true}
}

// goalsJSON is the goals as the raw-event count takes them.
func goalsJSON(goals []Goal) []byte {
	out := make([]map[string]string, len(goals))
	for i, g := range goals {
		if g.EventName != "" {
			out[i] = map[string]string{"name": g.Name, "event_name": g.EventName}
		} else {
			out[i] = map[string]string{"name": g.Name, "page_pattern": g.pagePattern()}
		}
	}
	b, _ := json.Marshal(out) // strings only
	return b
}

// usesGoals reports whether q needs the goals: grouped or filtered by
// goal, or asking for conversion_rate.
func (q Query) usesGoals() bool {
	if slices.Contains(q.Dimensions, GoalDimension) || slices.Contains(q.Metrics, ConversionRate) {
		return true
	}
	for _, f := range q.Filters {
		if slices.Contains(f.dimensions(), GoalDimension) {
			return true
		}
	}
	return false
}

// expandGoals replaces each goal comparison by the comparisons of the
// goals it names (keeping visits that reached any), except where it
// filters the rows of a goal breakdown.
func (q *Query) expandGoals(goals []Goal, valueDim string) error {
	byName := map[string]Goal{}
	for _, g := range goals {
		byName[g.Name] = g
	}
	var expand func(f Filter, loc string) (Filter, error)
	expand = func(f Filter, loc string) (Filter, error) {
		if f.group() {
			f.Filters = slices.Clone(f.Filters)
			for i, g := range f.Filters {
				e, err := expand(g, fmt.Sprintf("%s.filters[%d]", loc, i))
				if err != nil {
					return f, err
				}
				f.Filters[i] = e
			}
			return f, nil
		}
		if f.Dimension != GoalDimension {
			return f, nil
		}
		any := Filter{Operator: "or", goal: true}
		for j, name := range f.Values {
			g, ok := byName[name]
			if !ok {
				return f, hpa.Invalid(fmt.Sprintf("%s.values[%d]", loc, j), "no goal has this name").WithReason(ReasonUnknownGoal)
			}
			any.Filters = append(any.Filters, g.filter())
		}
		if f.Operator == "is_not" {
			return Filter{Operator: "not", Filters: []Filter{any}, goal: true}, nil
		}
		return any, nil
	}
	hasGoalFilter := false
	q.Filters = slices.Clone(q.Filters)
	for i, f := range q.Filters {
		loc := fmt.Sprintf("%sfilters[%d]", q.At, i)
		if valueDim == GoalDimension && f.only(GoalDimension) {
			for j, v := range f.dimensionValues(GoalDimension) {
				if _, ok := byName[v]; !ok {
					return hpa.Invalid(fmt.Sprintf("%s.values[%d]", loc, j), "no goal has this name").WithReason(ReasonUnknownGoal)
				}
			}
			continue // filters the goal rows
		}
		hasGoalFilter = hasGoalFilter || f.Dimension == GoalDimension
		e, err := expand(f, loc)
		if err != nil {
			return err
		}
		q.Filters[i] = e
	}
	if slices.Contains(q.Metrics, ConversionRate) && valueDim != GoalDimension && !hasGoalFilter {
		return hpa.Invalid(q.At+"metrics", "conversion_rate needs the goal dimension or a goal filter (not inside a group)")
	}
	return nil
}

// dimensionValues lists the values f compares dim with.
func (f Filter) dimensionValues(dim string) []string {
	if !f.group() {
		if f.Dimension == dim {
			return f.Values
		}
		return nil
	}
	var out []string
	for _, g := range f.Filters {
		out = append(out, g.dimensionValues(dim)...)
	}
	return out
}
