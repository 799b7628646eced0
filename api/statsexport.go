package api

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
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
		Description: "A zip of CSV files, one per report, as Plausible's export: `summary.csv` (every metric), `visitors-by-day.csv`, and a breakdown per dimension (`page.csv`, `source.csv`, `utm_campaign.csv`…, each up to 10,000 rows, most visitors first). The same columns as each report's own CSV. Then, counted from raw events and so only for a range within the raw events kept (left out otherwise): `goals.csv` (visitors, completions and conversion rate per goal), `screen_size.csv`, and `props.csv` (a row per custom property and value, for up to 100 properties).",
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

// addRawReports adds the reports counted from raw events (goals, screen
// sizes, custom properties) to an export, unless the range reaches back
// before the raw events kept.
func addRawReports(ctx context.Context, stats statsReader, r visits.DateRange, zw *zip.Writer, add func(string, visits.Query) (*visits.Result, error)) error {
	_, err := add("goals.csv", visits.Query{Metrics: []string{"visitors", "events", visits.ConversionRate}, Dimensions: []string{visits.GoalDimension}, Limit: maxExportRows})
	if hpa.ErrorReason(err) == "range-beyond-raw-events" {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := add("screen_size.csv", visits.Query{Metrics: visits.Metrics, Dimensions: []string{"screen_size"}, Limit: maxExportRows}); err != nil {
		return err
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
			return err
		}
		for _, row := range res.Rows {
			rows = append(rows, append([]string{k, row.Dimensions[0]}, formatNumbers(row.Metrics)...))
		}
	}
	w, err := zw.Create("props.csv")
	if err != nil {
		return err
	}
	_, err = w.Write(csvDocument(rows).Body)
	return err
}
