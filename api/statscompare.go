package api

import "github.com/harmedpatients/hpa/internal/visits"

// CompareQuery is the comparison of the GET reports (exported so huma sees
// its fields where it is embedded).
type CompareQuery struct {
	Compare     string `query:"compare" enum:"previous_period,year_over_year,custom" doc:"Add another period: the same number of days just before, the same dates a year earlier, or custom (compare_from and compare_to)."`
	CompareFrom string `query:"compare_from" format:"date" doc:"First date of a custom comparison."`
	CompareTo   string `query:"compare_to" format:"date" doc:"Last date of a custom comparison."`
}

// apply sets the comparison of q.
func (c CompareQuery) apply(q *visits.Query) error {
	q.Comparison = c.Compare
	if c.Compare == "custom" {
		r, err := customComparison(c.CompareFrom, c.CompareTo)
		q.CompareRange = r
		return err
	}
	if c.CompareFrom != "" || c.CompareTo != "" {
		return invalidField("query.compare", "compare_from and compare_to need compare=custom")
	}
	return nil
}

// MetricChanges are each metric's change against the compared period
// (exported so huma documents them where they are embedded).
type MetricChanges struct {
	Visitors      changeValue `json:"visitors" doc:"Percentage change; null where the compared value was 0."`
	Visits        changeValue `json:"visits"`
	Pageviews     changeValue `json:"pageviews"`
	ViewsPerVisit changeValue `json:"views_per_visit"`
	BounceRate    changeValue `json:"bounce_rate" doc:"The difference in percentage points."`
	VisitDuration changeValue `json:"visit_duration"`
	Events        changeValue `json:"events"`
}

func namedChanges(c []*float64) MetricChanges {
	return MetricChanges{Visitors: changeValue{c[0]}, Visits: changeValue{c[1]}, Pageviews: changeValue{c[2]},
		ViewsPerVisit: changeValue{c[3]}, BounceRate: changeValue{c[4]}, VisitDuration: changeValue{c[5]}, Events: changeValue{c[6]}}
}

// reportComparison is a row's counterpart in the compared period.
type reportComparison struct {
	Date string `json:"date,omitempty" example:"2025-03-01" doc:"For a time series: the compared bucket (buckets are matched by position, the first with the first); absent where the compared period is shorter."`
	MetricValues
	Change MetricChanges `json:"change"`
}

// comparisonOf is row's comparison, or nil when the query compares nothing.
func comparisonOf(q visits.Query, row visits.Row, timeSeries bool) *reportComparison {
	if q.Comparison == "" {
		return nil
	}
	c := &reportComparison{MetricValues: namedMetrics(row.Comparison), Change: namedChanges(row.Change)}
	if timeSeries && len(row.CompareDimensions) > 0 {
		c.Date = row.CompareDimensions[0]
	}
	return c
}

// comparedDates are the compared period's first and last dates, or empty.
func comparedDates(q visits.Query, res *visits.Result) (from, to string) {
	if q.Comparison == "" {
		return "", ""
	}
	d := dates(res.CompareFrom, res.CompareTo)
	return d[0], d[1]
}
