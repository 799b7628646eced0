package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/visits"
)

// statsFormat reads a report's Accept header: CSV when it prefers
// text/csv, JSON when it takes JSON or says nothing, and 406 when it takes
// neither (a client asking for HTML or XML is told, not sent JSON).
func statsFormat(accept string) (csv bool, err error) {
	if strings.TrimSpace(accept) == "" {
		return false, nil
	}
	json, csvQ := acceptQ(accept, "application", "json"), acceptQ(accept, "text", "csv")
	switch {
	case json == 0 && csvQ == 0:
		return false, huma.Error406NotAcceptable("statistics are available as application/json or text/csv; send Accept with one of them")
	case csvQ > json:
		return true, nil
	}
	return false, nil
}

// acceptQ is the quality an Accept header gives type/subtype, wildcards
// included (the most specific range wins, as RFC 9110 says); 0 if none.
func acceptQ(accept, typ, subtype string) float64 {
	best, specificity := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		t, st, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		var spec int
		switch {
		case t == typ && st == subtype:
			spec = 2
		case t == typ && st == "*":
			spec = 1
		case t == "*" && st == "*":
			spec = 0
		default:
			continue
		}
		q := 1.0
		for _, p := range fields[1:] {
			if k, v, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if spec > specificity {
			best, specificity = q, spec
		}
	}
	return best
}

// jsonDocument is v encoded as a JSON document.
func jsonDocument(v any) *documentOutput {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encode statistics: " + err.Error()) // plain structs only
	}
	return &documentOutput{ContentType: "application/json", Body: b}
}

// csvDocument is rows encoded as a CSV document.
func csvDocument(rows [][]string) *documentOutput {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, r := range rows {
		for i, cell := range r {
			r[i] = defuseFormula(cell)
		}
		_ = w.Write(r) // writes to memory cannot fail
	}
	w.Flush()
	return &documentOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="hpa-stats.csv"`, Body: buf.Bytes()}
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
func csvQuery(q visits.Query, res *visits.Result) *documentOutput {
	header := append(append([]string{}, q.Dimensions...), q.Metrics...)
	if q.Comparison != "" {
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
		if q.Comparison != "" {
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
	return csvDocument(rows)
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
