package api

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/visits"
)

// maxExportRows bounds each breakdown in an export.
const maxExportRows = 10_000

type statsExportInput struct {
	PeriodQuery
}

type zipOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func registerStatsExport(hapi huma.API, stats statsReader) {
	register(hapi, statsAccess, huma.Operation{
		OperationID: "export-stats",
		Method:      http.MethodGet,
		Path:        "/v1/stats/export",
		Summary:     "Download every report for a period",
		Description: "A zip of CSV files, one per report, as Plausible's export: `summary.csv` (every metric), `visitors-by-day.csv`, and a breakdown per dimension (`page.csv`, `source.csv`, `utm_campaign.csv`…, each up to 10,000 rows, most visitors first). The same columns as each report's own CSV. Then, counted from raw events and so only for a range within the raw events kept (left out otherwise): `goals.csv` (visitors, completions and conversion rate per goal), `screen_size.csv`, `props.csv` (a row per custom property and value, for up to 100 properties) and `funnel-NAME.csv` per saved funnel. A report among these that takes longer to count than the server allows (`filtered-range-too-long`) is left out and listed in `not-included.csv` (file, part, code, detail), and the others still come.",
		Tags:        []string{"Statistics"},
		Responses: map[string]*huma.Response{
			"200": {
				Description: "The reports, zipped.",
				Headers: map[string]*huma.Param{
					"Content-Disposition": {Description: "attachment; filename=\"hpa-stats-FROM-TO.zip\"", Schema: &huma.Schema{Type: huma.TypeString}},
				},
				Content: map[string]*huma.MediaType{"application/zip": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}},
			},
		},
	}, func(ctx context.Context, in *statsExportInput) (*zipOutput, error) {
		r, err := resolveRange(ctx, stats, in.PeriodQuery)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		add := func(name string, q visits.Query) (*visits.Result, error) {
			q.Range, q.At = r, "query."
			res, err := stats.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			w, err := zw.Create(name)
			if err != nil {
				return nil, err
			}
			_, err = w.Write(csvQuery(q, res).Body)
			return res, err
		}
		total, err := add("summary.csv", visits.Query{Metrics: visits.Metrics})
		if err != nil {
			return nil, err
		}
		if _, err := add("visitors-by-day.csv", visits.Query{Metrics: visits.Metrics, Dimensions: []string{"time:day"}, FillTime: true, Limit: maxExportRows}); err != nil {
			return nil, err
		}
		for _, dim := range visits.Dimensions {
			if _, err := add(dim+".csv", visits.Query{Metrics: visits.Metrics, Dimensions: []string{dim}, Limit: maxExportRows}); err != nil {
				return nil, err
			}
		}
		if err := addRawReports(ctx, stats, r, zw, add); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		name := "hpa-stats-" + total.From.Format(time.DateOnly) + "-" + total.To.Format(time.DateOnly) + ".zip"
		return &zipOutput{ContentType: "application/zip", ContentDisposition: `attachment; filename="` + name + `"`, Body: buf.Bytes()}, nil
	})
}

// addFunnelReports adds a CSV per saved funnel, as the funnel's own CSV
// report gives it; a funnel too long to count is left out and listed.
func addFunnelReports(ctx context.Context, stats statsReader, r visits.DateRange, zw *zip.Writer, left *leftOut) error {
	funnels, err := stats.SavedFunnels(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range funnels {
		name := funnelFileName(f.Name)
		if name == "" || seen[name] {
			name = "funnel-" + f.ID.String() + ".csv"
		}
		seen[name] = true
		res, err := stats.Funnel(ctx, visits.FunnelQuery{Range: r, Steps: f.Steps, At: "query."})
		if err != nil {
			if err := left.tolerate(name, "", err); err != nil {
				return err
			}
			continue
		}
		_, rows := funnelFigures(funnelSteps(f.Steps), res)
		if err := writeCSV(zw, name, rows); err != nil {
			return err
		}
	}
	return nil
}

// funnelFileName is a saved funnel's file in the export: its name in
// lower case, each run of other characters than ASCII letters and digits
// as one -, so that no name reaches outside the zip's top folder; empty
// for a name with no such letter or digit.
func funnelFileName(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "funnel-" + strings.TrimSuffix(b.String(), "-") + ".csv"
}

// leftOut lists the reports of an export that took too long to count
// (filtered-range-too-long): the export goes on without them and says so
// in not-included.csv, so one slow report never costs the others.
type leftOut [][]string

// tolerate records a report left out for taking too long and returns nil,
// or returns err as it is when it is any other error.
func (l *leftOut) tolerate(file, part string, err error) error {
	if hpa.ErrorReason(err) != visits.ReasonFilteredRangeTooLong {
		return err
	}
	*l = append(*l, []string{file, part, visits.ReasonFilteredRangeTooLong,
		"counting it took longer than HPA_VISITS_COUNTING_TIMEOUT allows; ask for it alone, or for a shorter range"})
	return nil
}

// addRawReports adds the reports counted from raw events (goals, saved
// funnels, screen sizes, custom properties) to an export, unless the range
// reaches back before the raw events kept; those too long to count are
// left out and listed in not-included.csv.
func addRawReports(ctx context.Context, stats statsReader, r visits.DateRange, zw *zip.Writer, add func(string, visits.Query) (*visits.Result, error)) error {
	left := &leftOut{}
	_, err := add("goals.csv", visits.Query{Metrics: []string{"visitors", "events", visits.ConversionRate}, Dimensions: []string{visits.GoalDimension}, Limit: maxExportRows})
	if hpa.ErrorReason(err) == "range-beyond-raw-events" {
		return nil
	}
	if err := left.tolerate("goals.csv", "", err); err != nil {
		return err
	}
	if err := addFunnelReports(ctx, stats, r, zw, left); err != nil {
		return err
	}
	if _, err := add("screen_size.csv", visits.Query{Metrics: visits.Metrics, Dimensions: []string{"screen_size"}, Limit: maxExportRows}); err != nil {
		if err := left.tolerate("screen_size.csv", "", err); err != nil {
			return err
		}
	}
	keys, err := stats.PropertyKeys(ctx, r)
	if err != nil {
		return err
	}
	metrics := []string{"visitors", "visits", "events"}
	rows := [][]string{append([]string{"property", "value"}, metrics...)}
	for _, k := range keys {
		res, err := stats.Query(ctx, visits.Query{Metrics: metrics, Dimensions: []string{"event:props:" + k}, Range: r, Limit: maxExportRows, At: "query."})
		if err != nil {
			if err := left.tolerate("props.csv", "property "+k, err); err != nil {
				return err
			}
			continue
		}
		for _, row := range res.Rows {
			rows = append(rows, append([]string{k, row.Dimensions[0]}, formatNumbers(row.Metrics)...))
		}
	}
	if err := writeCSV(zw, "props.csv", rows); err != nil {
		return err
	}
	if len(*left) == 0 {
		return nil
	}
	return writeCSV(zw, "not-included.csv", append([][]string{{"file", "part", "code", "detail"}}, *left...))
}

// writeCSV adds one CSV file to an export.
func writeCSV(zw *zip.Writer, name string, rows [][]string) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = w.Write(csvDocument(rows).Body)
	return err
}
