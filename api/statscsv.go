package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/negotiation"
	"github.com/harmedpatients/hpa/internal/visits"
)

// wantsCSV reports whether the Accept header prefers text/csv to JSON.
func wantsCSV(accept string) bool {
	return accept != "" && negotiation.SelectQValueFast(accept, []string{"application/json", "text/csv"}) == "text/csv"
}

func jsonOutput(v any) *csvOutput {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encode statistics: " + err.Error()) // plain structs only
	}
	return &csvOutput{ContentType: "application/json", Body: b}
}

func csvBody(rows [][]string) *csvOutput {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range rows {
		for i, cell := range r {
			r[i] = defuseFormula(cell)
		}
		_ = w.Write(r) // writes to memory cannot fail
	}
	w.Flush()
	return &csvOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="hpa-stats.csv"`, Body: buf.Bytes()}
}

// defuseFormula keeps a spreadsheet from running a value (a page path or
// campaign name chosen by anyone) as a formula.
func defuseFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		if _, err := strconv.ParseFloat(cell, 64); err != nil {
			return "'" + cell
		}
	}
	return cell
}

// csvQuery lays a query result out as a table: a column per dimension and
// metric, then the comparison's.
func csvQuery(q visits.Query, res *visits.Result) *csvOutput {
	header := append(append([]string{}, q.Dimensions...), q.Metrics...)
	if q.Compare {
		for _, m := range q.Metrics {
			header = append(header, "previous_"+m)
		}
		for _, m := range q.Metrics {
			header = append(header, "change_"+m)
		}
	}
	rows := [][]string{header}
	for _, r := range res.Rows {
		row := append([]string{}, r.Dimensions...)
		row = append(row, formatNumbers(r.Metrics)...)
		if q.Compare {
			row = append(row, formatNumbers(r.Comparison)...)
			for _, c := range r.Change {
				if c == nil {
					row = append(row, "")
				} else {
					row = append(row, strconv.FormatFloat(*c, 'f', -1, 64))
				}
			}
		}
		rows = append(rows, row)
	}
	return csvBody(rows)
}

func formatNumbers(values []float64) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return out
}

func summaryCSV(p SummaryPeriod) []string {
	m := p.MetricValues
	return append([]string{p.From, p.To}, formatNumbers([]float64{float64(m.Visitors), float64(m.Visits), float64(m.Pageviews),
		m.ViewsPerVisit, m.BounceRate, m.VisitDuration, float64(m.Events), float64(p.Bots)})...)
}

// csvResponses documents a 200 carrying a T as JSON or a CSV table.
func csvResponses[T any](hapi huma.API, description string) map[string]*huma.Response {
	schema := hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	return map[string]*huma.Response{
		"200": {
			Description: description + " JSON by default; CSV (a header row, then one row per result) with `Accept: text/csv`.",
			Headers: map[string]*huma.Param{
				"Content-Disposition": {Description: "For CSV: attachment with a file name.", Schema: &huma.Schema{Type: huma.TypeString}},
			},
			Content: map[string]*huma.MediaType{
				"application/json": {Schema: schema},
				"text/csv":         {Schema: &huma.Schema{Type: huma.TypeString, Examples: []any{"page,visitors\n/,120\n/about,45\n"}}},
			},
		},
	}
}
