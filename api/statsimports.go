package api

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
)

// statsImporter brings visit history in; visits.Service is one.
type statsImporter interface {
	ImportVisits(ctx context.Context, opts visits.ImportOptions, body io.Reader) (*visits.Import, error)
	Imports(ctx context.Context, limit int) ([]visits.Import, error)
	GetImport(ctx context.Context, id uuid.UUID) (visits.Import, error)
	DeleteImport(ctx context.Context, id uuid.UUID) (visits.Import, error)
}

// importers are the staff who read the figures: analysts and admins.
var importers = staffWith(identity.RoleAnalyst)

const (
	// maxImportBytes bounds one uploaded file.
	maxImportBytes = 512 << 20
	// importTransferTime is how long an upload may take to arrive and be
	// answered (the server's own time-outs suit ordinary requests).
	importTransferTime = 30 * time.Minute
)

type importFileInput struct {
	Format       string `query:"format" enum:"goatcounter,plausible,csv" doc:"goatcounter: GoatCounter's CSV export (version 2, as downloaded: gunzip it first). plausible: the zip of Plausible's CSV export. csv: HPA's plain daily CSV (docs/statistics.md). Default: plausible for application/zip; for text/csv, goatcounter if the header starts 2Path, else csv."`
	DryRun       bool   `query:"dry_run" doc:"Read and check the whole file and report what would be imported, writing nothing."`
	AddToCounter bool   `query:"add_to_counter" doc:"The file's visits are not in the public counter's historic baseline: add those of days before this service's first to the counter (each day once, however many imports cover it). Default false: the baseline already holds the site's history."`
	contentType  string
	size         int64
	body         io.Reader
}

// Resolve takes the body as a stream: huma never reads it whole.
func (in *importFileInput) Resolve(ctx huma.Context) []error {
	in.contentType = ctx.Header("Content-Type")
	in.size, _ = strconv.ParseInt(ctx.Header("Content-Length"), 10, 64)
	if r := ctx.BodyReader(); r != nil {
		in.body = http.MaxBytesReader(nil, io.NopCloser(r), maxImportBytes)
	}
	deadline := time.Now().Add(importTransferTime)
	_ = ctx.SetReadDeadline(deadline)
	if _, w := humachi.Unwrap(ctx); w != nil {
		_ = http.NewResponseController(w).SetWriteDeadline(deadline)
	}
	return nil
}

type importIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Import ID."`
}

type importListInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"How many, newest first."`
}

type statsImportProblem struct {
	File   string `json:"file,omitempty" example:"imported_pages_20240101_20241231.csv" doc:"The report within a Plausible zip."`
	Line   int64  `json:"line" example:"12" doc:"The file's line (the header is line 1; 0 for the file as a whole)."`
	Reason string `json:"reason" example:"date 2031-01-01 is outside 2000-01-01 to today"`
}

type statsImport struct {
	ID           string               `json:"id,omitempty" format:"uuid" doc:"Absent for a dry run, which records nothing."`
	Format       string               `json:"format" enum:"goatcounter,plausible,csv"`
	Status       string               `json:"status" enum:"running,completed,rejected,duplicate,failed,deleted,checked" doc:"running (progress in bytes_read and rows_read), completed, rejected (bad rows: nothing imported), duplicate (the same file was imported before: duplicate_of), failed (the upload broke off), deleted, or checked (a dry run that would import)."`
	DryRun       bool                 `json:"dry_run"`
	DuplicateOf  string               `json:"duplicate_of,omitempty" format:"uuid" doc:"The earlier import of the same file."`
	AddToCounter bool                 `json:"add_to_counter"`
	SHA256       string               `json:"sha256,omitempty" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" doc:"The file's SHA-256, which makes importing it again a no-op."`
	BytesTotal   *int64               `json:"bytes_total,omitempty" doc:"The upload's length, when the client sent Content-Length."`
	BytesRead    int64                `json:"bytes_read"`
	Progress     *float64             `json:"progress,omitempty" minimum:"0" maximum:"1" doc:"bytes_read / bytes_total, while running and after."`
	RowsRead     int64                `json:"rows_read" doc:"Data rows read (headers excluded)."`
	RowsImported int64                `json:"rows_imported" doc:"Rows whose figures are (or, in a dry run, would be) imported."`
	RowsSkipped  int64                `json:"rows_skipped" doc:"Rows read and left out by design: bot hits, Plausible's exit pages."`
	RowsRejected int64                `json:"rows_rejected"`
	FirstDay     *string              `json:"first_day,omitempty" format:"date" doc:"The first and last day with totals."`
	LastDay      *string              `json:"last_day,omitempty" format:"date"`
	Visits       int64                `json:"visits" doc:"Visits in the imported totals."`
	Pageviews    int64                `json:"pageviews" doc:"Page views in the imported totals."`
	Problems     []statsImportProblem `json:"problems" doc:"The bad rows (the first 100)."`
	CreatedAt    time.Time            `json:"created_at"`
	FinishedAt   *time.Time           `json:"finished_at,omitempty"`
}

type statsImportList struct {
	Items   []statsImport `json:"items" doc:"The imports, newest first."`
	Imports []statsImport `json:"imports" deprecated:"true" doc:"The same as items, under its 1.1 name. Deprecated since 1.2.0: read items; imports goes in 2.0.0."`
}

func importBody(imp visits.Import) statsImport {
	out := statsImport{Format: imp.Format, Status: imp.Status, DryRun: imp.DryRun, AddToCounter: imp.AddToCounter,
		BytesTotal: imp.BytesTotal, BytesRead: imp.BytesRead, RowsRead: imp.RowsRead, RowsImported: imp.RowsImported,
		RowsSkipped: imp.RowsSkipped, RowsRejected: imp.RowsRejected, Visits: imp.Visits, Pageviews: imp.Pageviews,
		Problems: make([]statsImportProblem, len(imp.Problems)), CreatedAt: imp.CreatedAt, FinishedAt: imp.FinishedAt}
	if imp.ID != uuid.Nil {
		out.ID = imp.ID.String()
	}
	if imp.DuplicateOf != nil {
		out.DuplicateOf = imp.DuplicateOf.String()
	}
	if len(imp.SHA256) > 0 {
		out.SHA256 = hex.EncodeToString(imp.SHA256)
	}
	if imp.BytesTotal != nil && *imp.BytesTotal > 0 {
		p := min(1, float64(imp.BytesRead)/float64(*imp.BytesTotal))
		out.Progress = &p
	}
	if imp.FirstDay != nil && imp.LastDay != nil {
		first, last := imp.FirstDay.Format(time.DateOnly), imp.LastDay.Format(time.DateOnly)
		out.FirstDay, out.LastDay = &first, &last
	}
	for i, p := range imp.Problems {
		out.Problems[i] = statsImportProblem{File: p.File, Line: p.Line, Reason: p.Reason}
	}
	return out
}

func registerStatsImports(hapi huma.API, svc statsImporter) {
	tags := []string{"Statistics"}
	register(hapi, importers, huma.Operation{
		OperationID: "import-stats",
		Method:      http.MethodPost,
		Path:        "/v1/stats/imports",
		Summary:     "Import visit history",
		Description: "Brings in history from GoatCounter (its CSV export), Plausible (its CSV export's zip) or a plain daily CSV, sent as the request body (`text/csv` or `application/zip`, up to 512 MiB), read as a stream. " +
			"All or nothing: a file with bad rows imports nothing and answers `422 import-rejected` listing them (line and reason, the first 100). " +
			"A file imported before (same SHA-256) imports nothing again and answers with `status: duplicate` and the earlier import. " +
			"`dry_run=true` checks everything and reports what would be imported, writing nothing. While a file is read, `GET /v1/stats/imports/{id}` shows its progress. " +
			"Imported figures are kept apart: reports add them only with `include=imports` (or `\"include\":{\"imports\":true}`).",
		Tags:     tags,
		Errors:   []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity},
		Metadata: map[string]any{streamedBodyKey: true},
		RequestBody: &huma.RequestBody{
			Required:    true,
			Description: "The file, as exported.",
			Content: map[string]*huma.MediaType{
				"text/csv":        {Schema: &huma.Schema{Type: huma.TypeString, Description: "goatcounter or csv format."}},
				"application/zip": {Schema: &huma.Schema{Type: huma.TypeString, Format: "binary", Description: "plausible format."}},
			},
		},
		MaxBodyBytes: maxImportBytes,
	}, func(ctx context.Context, in *importFileInput) (*struct{ Body statsImport }, error) {
		if in.body == nil {
			return nil, huma.Error400BadRequest("send the file as the request body")
		}
		mt, _, _ := mime.ParseMediaType(in.contentType)
		if in.Format == "" && mt == "application/zip" {
			in.Format = visits.FormatPlausible
		}
		want := "text/csv"
		if in.Format == visits.FormatPlausible {
			want = "application/zip"
		}
		if mt != want {
			return nil, huma.Error415UnsupportedMediaType("send a CSV export as Content-Type: text/csv, Plausible's zip as application/zip")
		}
		imp, err := svc.ImportVisits(ctx, visits.ImportOptions{Format: in.Format, DryRun: in.DryRun, AddToCounter: in.AddToCounter, Size: in.size}, in.body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, huma.Error413RequestEntityTooLarge("the file is larger than " + strconv.Itoa(maxImportBytes) + " bytes; split it by date")
		}
		if err != nil {
			return nil, err
		}
		return &struct{ Body statsImport }{Body: importBody(*imp)}, nil
	})

	register(hapi, importers, huma.Operation{
		OperationID: "list-stats-imports",
		Method:      http.MethodGet,
		Path:        "/v1/stats/imports",
		Summary:     "List imports of visit history",
		Description: "Every import, newest first, with its status and figures (dry runs are not recorded).",
		Tags:        tags,
	}, func(ctx context.Context, in *importListInput) (*struct{ Body statsImportList }, error) {
		list, err := svc.Imports(ctx, defaultTo(in.Limit, 50))
		if err != nil {
			return nil, err
		}
		out := statsImportList{Imports: make([]statsImport, len(list))}
		for i, imp := range list {
			out.Imports[i] = importBody(imp)
		}
		out.Items = out.Imports
		return &struct{ Body statsImportList }{Body: out}, nil
	})

	register(hapi, importers, huma.Operation{
		OperationID: "get-stats-import",
		Method:      http.MethodGet,
		Path:        "/v1/stats/imports/{id}",
		Summary:     "An import of visit history",
		Description: "Its status and, while it runs, its progress (bytes and rows read so far).",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *importIDInput) (*struct{ Body statsImport }, error) {
		id, err := parseID(in.ID, "import")
		if err != nil {
			return nil, err
		}
		imp, err := svc.GetImport(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body statsImport }{Body: importBody(imp)}, nil
	})

	register(hapi, importers, huma.Operation{
		OperationID: "delete-stats-import",
		Method:      http.MethodDelete,
		Path:        "/v1/stats/imports/{id}",
		Summary:     "Remove an import's figures",
		Description: "Deletes every figure the import brought in; its record stays, marked deleted, and the same file may be imported again. Only a completed import can be deleted (`409 import-not-deletable`).",
		Tags:        tags,
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *importIDInput) (*struct{ Body statsImport }, error) {
		id, err := parseID(in.ID, "import")
		if err != nil {
			return nil, err
		}
		imp, err := svc.DeleteImport(ctx, id)
		if err != nil {
			return nil, err
		}
		return &struct{ Body statsImport }{Body: importBody(imp)}, nil
	})
}

// importsRequested reads include=imports on the GET reports.
func importsRequested(include string) bool { return include == "imports" }

// largeBodies lists the operations whose MaxBodyBytes exceeds the cap on
// every other body, by method and path (none has path parameters).
func largeBodies(doc *huma.OpenAPI) map[string]int64 {
	out := map[string]int64{}
	for path, item := range doc.Paths {
		for method, op := range map[string]*huma.Operation{http.MethodPost: item.Post, http.MethodPut: item.Put} {
			if op != nil && op.MaxBodyBytes > maxBodyBytes {
				out[method+" "+path] = op.MaxBodyBytes
			}
		}
	}
	return out
}
