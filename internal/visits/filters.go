package visits

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// FilterOperators compare a dimension's value with the filter's values;
// and, or and not combine other filters.
var FilterOperators = []string{"is", "is_not", "contains", "contains_not", "matches", "does_not_match", "and", "or", "not"}

// Bounds on a query's filters, so that one request cannot make the
// database (or this process) work without end.
const (
	maxFilterLeaves  = 20
	maxFilterDepth   = 4
	maxFilterClauses = 32
	maxPatternLen    = 200
	maxPatternRepeat = 50
)

// Filter keeps rows (or visits) whose dimension value matches; a group
// (and, or, not) combines the filters in Filters.
type Filter struct {
	Dimension string
	Operator  string
	Values    []string
	// CaseSensitive overrides the operator's default: is, is_not, matches
	// and does_not_match tell case apart, contains and contains_not do not.
	CaseSensitive *bool
	Filters       []Filter
	// goal marks the comparisons a goal filter stands for: they keep
	// visits, whatever the query groups by.
	goal bool
}

// leaf is a comparison in its positive form (is, contains, matches),
// negated or not, as counting from raw events takes it.
type leaf struct {
	Dimension  string   `json:"dimension"`
	Operator   string   `json:"operator"`
	Values     []string `json:"values"`
	IgnoreCase bool     `json:"ignore_case"`
	Negate     bool     `json:"negate"`
}

func (f Filter) group() bool { return f.Operator == "and" || f.Operator == "or" || f.Operator == "not" }

// dimensions lists the dimensions f compares.
func (f Filter) dimensions() []string {
	if f.goal {
		return []string{GoalDimension} // visits reaching a goal, never rows
	}
	if !f.group() {
		return []string{f.Dimension}
	}
	var out []string
	for _, g := range f.Filters {
		out = append(out, g.dimensions()...)
	}
	return out
}

// only reports whether every comparison in f is on dim.
func (f Filter) only(dim string) bool {
	for _, d := range f.dimensions() {
		if d != dim {
			return false
		}
	}
	return true
}

// asLeaf is a comparison in its positive form.
func (f Filter) asLeaf() leaf {
	l := leaf{Dimension: f.Dimension, Values: f.Values}
	switch f.Operator {
	case "is", "is_not":
		l.Operator = "is"
	case "contains", "contains_not":
		l.Operator, l.IgnoreCase = "contains", true
	default:
		l.Operator = "matches"
	}
	if f.CaseSensitive != nil {
		l.IgnoreCase = !*f.CaseSensitive
	}
	l.Negate = f.Operator == "is_not" || f.Operator == "contains_not" || f.Operator == "does_not_match"
	return l
}

// clauses turns f into conjunctive normal form: every clause must hold,
// and a clause holds when any of its comparisons does. A negation is
// pushed down to the comparisons, each of which has an exact opposite
// (a visit includes a matching page, or includes none).
func (f Filter) clauses(negate bool) [][]leaf {
	switch f.Operator {
	case "not":
		return f.Filters[0].clauses(!negate)
	case "and", "or":
		if (f.Operator == "and") != negate { // and, or a negated or
			var out [][]leaf
			for _, g := range f.Filters {
				out = append(out, g.clauses(negate)...)
			}
			return out
		}
		out := [][]leaf{{}}
		for _, g := range f.Filters {
			var next [][]leaf
			for _, a := range out {
				for _, b := range g.clauses(negate) {
					next = append(next, append(slices.Clone(a), b...))
				}
			}
			out = next
			if len(out) > maxFilterClauses {
				return out
			}
		}
		return out
	}
	l := f.asLeaf()
	l.Negate = l.Negate != negate
	return [][]leaf{{l}}
}

// matches evaluates f on one value of its dimension (a row's).
func (f Filter) matches(value string) bool {
	switch f.Operator {
	case "not":
		return !f.Filters[0].matches(value)
	case "and":
		for _, g := range f.Filters {
			if !g.matches(value) {
				return false
			}
		}
		return true
	case "or":
		for _, g := range f.Filters {
			if g.matches(value) {
				return true
			}
		}
		return false
	}
	l := f.asLeaf()
	return l.matches(value) != l.Negate
}

// matches reports whether value matches one of the leaf's values (its
// positive form: negation is the caller's).
func (l leaf) matches(value string) bool {
	for _, v := range l.Values {
		var found bool
		switch l.Operator {
		case "is":
			found = value == v || l.IgnoreCase && strings.EqualFold(value, v)
		case "contains":
			found = strings.Contains(value, v) || l.IgnoreCase && strings.Contains(strings.ToLower(value), strings.ToLower(v))
		default:
			found = compilePattern(v, l.IgnoreCase).MatchString(value)
		}
		if found {
			return true
		}
	}
	return false
}

// compilePattern compiles a pattern checkPattern accepted.
func compilePattern(p string, ignoreCase bool) *regexp.Regexp {
	if ignoreCase {
		p = "(?i)" + p
	}
	return regexp.MustCompile(p)
}

// checkFilter validates f (at loc) and counts its comparisons into leaves.
func checkFilter(f Filter, loc string, depth int, leaves *int, known func(string) bool, dims string) error {
	if !slices.Contains(FilterOperators, f.Operator) {
		return hpa.Invalid(loc+".operator", "use one of "+strings.Join(FilterOperators, ", "))
	}
	if f.group() {
		switch {
		case depth >= maxFilterDepth:
			return hpa.Invalid(loc, fmt.Sprintf("groups may nest at most %d deep", maxFilterDepth)).WithReason(ReasonFilterTooComplex)
		case f.Operator == "not" && len(f.Filters) != 1:
			return hpa.Invalid(loc+".filters", "not takes exactly one filter")
		case len(f.Filters) == 0:
			return hpa.Invalid(loc+".filters", f.Operator+" takes at least one filter")
		case f.Dimension != "" || len(f.Values) > 0:
			return hpa.Invalid(loc, f.Operator+" takes filters, not a dimension or values")
		}
		for i, g := range f.Filters {
			if err := checkFilter(g, fmt.Sprintf("%s.filters[%d]", loc, i), depth+1, leaves, known, dims); err != nil {
				return err
			}
		}
		return nil
	}
	if *leaves++; *leaves > maxFilterLeaves {
		return hpa.Invalid(loc, fmt.Sprintf("a query may hold at most %d comparisons", maxFilterLeaves)).WithReason(ReasonFilterTooComplex)
	}
	switch {
	case !known(f.Dimension):
		return hpa.Invalid(loc+".dimension", "unknown dimension; use one of "+dims)
	case len(f.Filters) > 0:
		return hpa.Invalid(loc+".filters", "only and, or and not take filters")
	case len(f.Values) == 0:
		return hpa.Invalid(loc+".values", "give at least one value")
	case f.Dimension == GoalDimension && f.Operator != "is" && f.Operator != "is_not":
		return hpa.Invalid(loc+".operator", "goals are compared with is or is_not")
	}
	for j, v := range f.Values {
		at := fmt.Sprintf("%s.values[%d]", loc, j)
		if fault := hpa.TextFault(v); fault != "" {
			// The database would refuse the query, not just match nothing.
			return hpa.InvalidText(hpa.FieldError{Location: at, Message: fault})
		}
		if f.Operator == "matches" || f.Operator == "does_not_match" {
			if err := checkPattern(v); err != nil {
				return hpa.Invalid(at, err.Error()).WithReason(ReasonInvalidPattern)
			}
		}
	}
	return nil
}

// checkPattern accepts the regular expressions PostgreSQL and Go read the
// same way, and that neither can be made to work without bound: literals,
// ., bracket classes, \d \s \w and their negations, escaped punctuation,
// ^ and $, groups ((…) and (?:…)), | and the quantifiers * + ? {n,m} (at
// most 50 repeats). No back-references, look-arounds, word boundaries or
// flags (case is the filter's case_sensitive option).
func checkPattern(p string) error {
	if len(p) > maxPatternLen {
		return fmt.Errorf("a pattern may be at most %d bytes", maxPatternLen)
	}
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\':
			if i+1 >= len(p) {
				return fmt.Errorf("a pattern may not end in a backslash")
			}
			c := p[i+1]
			if !strings.ContainsRune(`dDsSwW.^$|?*+()[]{}\/-`, rune(c)) {
				return fmt.Errorf(`\%c is not in the supported subset: use \d \s \w (or \D \S \W) or escape punctuation`, c)
			}
			i++
		case p[i] == '(' && i+1 < len(p) && p[i+1] == '?':
			if i+2 >= len(p) || p[i+2] != ':' {
				return fmt.Errorf("(?…) is not in the supported subset except (?:…)")
			}
		}
	}
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return fmt.Errorf("not a regular expression: %v", err)
	}
	var walk func(*syntax.Regexp) error
	walk = func(r *syntax.Regexp) error {
		switch r.Op {
		case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return fmt.Errorf("word boundaries are not in the supported subset")
		case syntax.OpRepeat:
			if r.Max > maxPatternRepeat || r.Min > maxPatternRepeat {
				return fmt.Errorf("{n,m} may repeat at most %d times", maxPatternRepeat)
			}
		}
		for _, s := range r.Sub {
			if err := walk(s); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(re)
}
