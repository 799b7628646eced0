package visits

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Import formats.
const (
	// FormatGoatCounter is GoatCounter's CSV export (version 2): a row per
	// page view or event.
	FormatGoatCounter = "goatcounter"
	// FormatPlausible is Plausible's CSV export: a zip of daily reports.
	FormatPlausible = "plausible"
	// FormatCSV is HPA's plain daily CSV (docs/statistics.md).
	FormatCSV = "csv"
)

// ImportFormats lists the formats Import reads.
var ImportFormats = []string{FormatGoatCounter, FormatPlausible, FormatCSV}

// Import statuses besides running.
const (
	ImportCompleted = "completed"
	ImportRejected  = "rejected"
	ImportDuplicate = "duplicate"
	ImportFailed    = "failed"
	ImportDeleted   = "deleted"
	// ImportChecked is a dry run's: the file would be imported.
	ImportChecked = "checked"
)

const (
	// maxImportProblems bounds the bad rows an import reports.
	maxImportProblems = 100
	// maxImportKeys bounds the distinct (day, dimension, value) figures of
	// one file, and so the memory an import holds.
	maxImportKeys = 1_000_000
	// importBatch is how many figures one statement writes.
	importBatch = 5000
	// progressEvery is how often (in rows) a running import's record moves.
	progressEvery = 5000
)

// ImportOptions say how to import a file.
type ImportOptions struct {
	// Format is one of ImportFormats; "" tells goatcounter (a header
	// starting 2Path) from csv by the file's first bytes.
	Format string
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// AddToCounter says the file's history is missing from the counter's
	// historic baseline (see Counter).
	AddToCounter bool
	// Size is the file's length in bytes when known (for progress), else 0.
	Size int64
}

// ImportProblem is a row the import refused.
type ImportProblem struct {
	// File names the report within a Plausible zip; "" otherwise.
	File   string `json:"file,omitempty"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	// text marks text the database cannot store (a NUL, bytes that are
	// not UTF-8), which the API refuses as invalid-text everywhere.
	text bool
}

// Import is one file brought in, or being brought in.
type Import struct {
	ID           uuid.UUID
	Format       string
	Status       string
	DryRun       bool
	DuplicateOf  *uuid.UUID
	AddToCounter bool
	SHA256       []byte
	BytesTotal   *int64
	BytesRead    int64
	RowsRead     int64
	RowsImported int64
	RowsSkipped  int64
	RowsRejected int64
	FirstDay     *time.Time
	LastDay      *time.Time
	Visits       int64
	Pageviews    int64
	Problems     []ImportProblem
	CreatedAt    time.Time
	FinishedAt   *time.Time
}

// importRun is the state of one file being read.
type importRun struct {
	s        *Service
	ctx      context.Context
	imp      *Import
	figures  *figureSet
	counted  *countingReader
	problems []ImportProblem
	lastSave int64
}

// reject records a bad row.
func (r *importRun) reject(file string, line int64, reason string) {
	r.rejectRow(ImportProblem{File: file, Line: line, Reason: reason})
}

func (r *importRun) rejectRow(p ImportProblem) {
	r.imp.RowsRejected++
	if len(r.problems) < maxImportProblems {
		r.problems = append(r.problems, p)
	}
}

// row counts a row read and, now and then, saves the progress.
func (r *importRun) row() {
	r.imp.RowsRead++
	if r.imp.DryRun || r.imp.RowsRead-r.lastSave < progressEvery {
		return
	}
	r.lastSave = r.imp.RowsRead
	// Progress is a courtesy: failing to save it does not stop the import.
	_ = store.Q.VisitImportProgress(r.ctx, r.s.pool, store.VisitImportProgressParams{
		ID: r.imp.ID, BytesRead: r.counted.n, RowsRead: r.imp.RowsRead, RowsRejected: r.imp.RowsRejected})
}

// ImportVisits reads a file of visit history in opts.Format from body, as
// a stream, and stores its figures as imported, all or nothing: a file
// with bad rows is rejected whole (hpa.EINVALID, reason import-rejected,
// the rows in Fields and in the returned record). A file imported before
// (by SHA-256) is not imported again: the record says duplicate.
func (s *Service) ImportVisits(ctx context.Context, opts ImportOptions, body io.Reader) (*Import, error) {
	buffered := bufio.NewReaderSize(body, 64<<10)
	if opts.Format == "" {
		opts.Format = FormatCSV
		if head, _ := buffered.Peek(8); bytes.HasPrefix(bytes.TrimPrefix(head, []byte("\ufeff")), []byte("2Path")) {
			opts.Format = FormatGoatCounter
		}
	}
	if !validFormat(opts.Format) {
		return nil, hpa.Invalid("query.format", "use one of goatcounter, plausible, csv")
	}
	imp := &Import{Format: opts.Format, DryRun: opts.DryRun, AddToCounter: opts.AddToCounter, CreatedAt: s.now()}
	if opts.Size > 0 {
		imp.BytesTotal = &opts.Size
	}
	if !opts.DryRun {
		row, err := store.Q.VisitImportCreate(ctx, s.pool, store.VisitImportCreateParams{
			Format: opts.Format, AddToCounter: opts.AddToCounter, BytesTotal: imp.BytesTotal})
		if err != nil {
			return nil, fmt.Errorf("start import: %w", err)
		}
		imp.ID, imp.CreatedAt = row.ID, row.CreatedAt
	}
	sum := sha256.New()
	run := &importRun{s: s, ctx: ctx, imp: imp, figures: newFigureSet(), counted: &countingReader{r: buffered, h: sum}}
	err := run.read()
	if err == nil {
		// What a parser left unread (a trailer) is still the file's.
		_, err = io.Copy(io.Discard, run.counted)
	}
	imp.BytesRead = run.counted.n
	imp.SHA256 = sum.Sum(nil)
	if err != nil {
		var bad *hpa.Error
		if errors.As(err, &bad) && bad.Code == hpa.EINVALID {
			run.reject("", 0, bad.Message)
		} else {
			return nil, s.finishFailed(imp, err)
		}
	}
	imp.Problems = run.problems
	if imp.RowsRejected > 0 {
		imp.Status = ImportRejected
		if err := s.finishImport(ctx, imp, nil); err != nil {
			return nil, err
		}
		return imp, rejection(imp)
	}
	run.figures.summarise(imp)
	if dup, err := store.Q.VisitImportByFile(ctx, s.pool, imp.SHA256); err == nil {
		imp.Status, imp.DuplicateOf, imp.RowsImported = ImportDuplicate, &dup, 0
		return imp, s.finishImport(ctx, imp, nil)
	} else if !store.IsNotFound(err) {
		return nil, s.finishFailed(imp, err)
	}
	if opts.DryRun {
		imp.Status = ImportChecked
		return imp, nil
	}
	imp.Status = ImportCompleted
	err = s.finishImport(ctx, imp, run.figures)
	if store.IsUniqueViolation(err, "visit_imports_file") {
		// The same file finished in another request meanwhile.
		dup, lookErr := store.Q.VisitImportByFile(ctx, s.pool, imp.SHA256)
		if lookErr != nil {
			return nil, s.finishFailed(imp, lookErr)
		}
		imp.Status, imp.DuplicateOf, imp.RowsImported = ImportDuplicate, &dup, 0
		return imp, s.finishImport(ctx, imp, nil)
	}
	if err != nil {
		return nil, s.finishFailed(imp, err)
	}
	s.forgetCounter()
	return imp, nil
}

func validFormat(f string) bool {
	for _, x := range ImportFormats {
		if f == x {
			return true
		}
	}
	return false
}

// read runs the format's parser.
func (r *importRun) read() error {
	switch r.imp.Format {
	case FormatGoatCounter:
		return r.readGoatCounter(r.counted)
	case FormatPlausible:
		return r.readPlausible(r.counted)
	default:
		return r.readDailyCSV(r.counted, "")
	}
}

// rejection is the error of a file with bad rows: invalid-text, as for
// any request, if any row holds text that cannot be stored, else
// import-rejected.
func rejection(imp *Import) error {
	e := hpa.Errorf(hpa.EINVALID, "%d rows of the file cannot be imported; nothing was imported", imp.RowsRejected).WithReason(ReasonImportRejected)
	for _, p := range imp.Problems {
		if p.text {
			e.Reason = hpa.ReasonInvalidText
		}
	}
	for _, p := range imp.Problems {
		loc := fmt.Sprintf("body.line[%d]", p.Line)
		if p.File != "" {
			loc = fmt.Sprintf("body.%s.line[%d]", p.File, p.Line)
		}
		e.Fields = append(e.Fields, hpa.FieldError{Location: loc, Message: p.Reason})
	}
	return e
}

// finishImport records how an import ended and, for a completed one,
// writes its figures in the same transaction: all of them or none.
func (s *Service) finishImport(ctx context.Context, imp *Import, figures *figureSet) error {
	if imp.DryRun {
		return nil
	}
	problems, err := json.Marshal(nonNilProblems(imp.Problems))
	if err != nil {
		return err
	}
	p := store.VisitImportFinishParams{
		ID: imp.ID, Status: imp.Status, DuplicateOf: imp.DuplicateOf, BytesRead: imp.BytesRead, RowsRead: imp.RowsRead,
		RowsImported: imp.RowsImported, RowsSkipped: imp.RowsSkipped, RowsRejected: imp.RowsRejected,
		FirstDay: imp.FirstDay, LastDay: imp.LastDay, Visits: imp.Visits, Pageviews: imp.Pageviews, Problems: problems,
	}
	if imp.Status == ImportCompleted {
		p.FileSha256 = imp.SHA256
	}
	if imp.Status != ImportCompleted {
		p.FirstDay, p.LastDay, p.Visits, p.Pageviews = nil, nil, 0, 0
	}
	return store.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if figures != nil {
			if err := figures.write(ctx, tx, imp.ID); err != nil {
				return err
			}
		}
		row, err := store.Q.VisitImportFinish(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("finish import %s: %w", imp.ID, err)
		}
		imp.FinishedAt = row.FinishedAt
		if imp.Status != ImportCompleted {
			return nil
		}
		return audit.Record(ctx, tx, audit.Event{Action: "stats_import.complete", TargetType: "stats_import", TargetID: imp.ID.String(),
			Details: map[string]any{"format": imp.Format, "rows_imported": imp.RowsImported, "first_day": imp.FirstDay, "last_day": imp.LastDay}})
	})
}

// finishFailed records an import that broke off and returns why.
func (s *Service) finishFailed(imp *Import, cause error) error {
	if !imp.DryRun {
		imp.Status = ImportFailed
		// The request's context may be what ended; the record must still say so.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		imp.Problems = nil
		_ = s.finishImport(ctx, imp, nil)
	}
	var bad *hpa.Error
	if errors.As(cause, &bad) {
		return cause
	}
	return fmt.Errorf("import visits: %w", cause)
}

func nonNilProblems(p []ImportProblem) []ImportProblem {
	if p == nil {
		return []ImportProblem{}
	}
	return p
}

// countingReader counts and hashes what is read through it.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}
