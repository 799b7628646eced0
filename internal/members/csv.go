package members

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// ExportSegment writes, as CSV, the active members whose current consent
// covers purpose (e.g. "interest:surveys"), optionally of one audience.
// The export is audited with its purpose and size.
func (s *Service) ExportSegment(ctx context.Context, purpose, audience string) ([]byte, int, error) {
	if !validPurpose(purpose) {
		return nil, 0, hpa.Invalid("query.purpose", "must be membership or interest:<interest>")
	}
	rows, err := store.Q.MemberSegment(ctx, s.db, store.MemberSegmentParams{Purpose: purpose, Audience: store.NullText(audience)})
	if err != nil {
		return nil, 0, fmt.Errorf("export segment: %w", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "email", "name", "organisation", "role", "region", "audiences", "interests", "email_frequency", "joined"})
	for _, r := range rows {
		m, err := s.memberFromRow(r)
		if err != nil {
			return nil, 0, err
		}
		joined := ""
		if m.ConfirmedAt != nil {
			joined = m.ConfirmedAt.UTC().Format("2006-01-02")
		}
		_ = w.Write(safeCells(m.ID.String(), m.Email, m.Name, m.Organisation, m.RoleTitle, m.Region,
			strings.Join(m.Audiences, ";"), strings.Join(m.Interests, ";"), m.EmailFrequency, joined))
	}
	w.Flush()
	if err := audit.Record(ctx, s.db, audit.Event{Action: "member.export", Details: map[string]any{"purpose": purpose, "audience": audience, "count": len(rows)}}); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), len(rows), nil
}

func validPurpose(p string) bool {
	if p == PurposeMembership {
		return true
	}
	interest, ok := strings.CutPrefix(p, purposeInterestPrefix)
	return ok && contains(Interests, interest)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// safeCells defuses spreadsheet formulas: a cell starting with = + - @ or a
// control character is prefixed with an apostrophe.
func safeCells(cells ...string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}

// ImportReport says what an import did, or would do in a dry run.
type ImportReport struct {
	Rows       int
	Imported   int
	Duplicates []ImportIssue
	Errors     []ImportIssue
	DryRun     bool
}

// ImportIssue is a problem with one row (rows count from 2, after the
// header, as a spreadsheet shows them).
type ImportIssue struct {
	Row     int
	Field   string
	Message string
}

var importColumns = []string{"email", "name", "organisation", "role_title", "audiences", "region", "interests", "consent_version"}

const maxImportRows = 50_000

// Import adds members from CSV (columns: email, name, organisation,
// role_title, audiences and interests separated by ";", region,
// consent_version). Every row must carry the current consent version: the
// people must have agreed to today's wording in the system they come from.
// Addresses already members (or whose owners asked HPA to erase their
// data), or repeated in the file, are reported and skipped. If any row is
// invalid nothing is imported; a dry run checks everything and imports
// nothing.
func (s *Service) Import(ctx context.Context, r io.Reader, dryRun bool) (*ImportReport, error) {
	signups, report, err := s.parseImport(r)
	if err != nil {
		return nil, err
	}
	report.DryRun = dryRun
	err = s.withTx(ctx, func(tx pgx.Tx) error {
		for i, in := range signups {
			if in.Email == "" {
				continue // invalid row, already reported
			}
			_, dedupe, _ := NormaliseEmail(in.Email)
			// An address whose owner asked to be erased is never added
			// back by someone else: only they can join again.
			// A tombstone keeps the hash it had when the member was
			// erased, under whichever key was current then.
			known, err := s.everKnown(ctx, tx, dedupe)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if known {
				report.Duplicates = append(report.Duplicates, ImportIssue{Row: i + 2, Field: "email", Message: "already a member, or asked HPA to erase their data"})
				signups[i].Email = ""
			}
		}
		if dryRun || len(report.Errors) > 0 {
			return nil
		}
		for _, in := range signups {
			if in.Email == "" {
				continue
			}
			send, _, _ := NormaliseEmail(in.Email)
			_, dedupe, _ := NormaliseEmail(in.Email)
			id := uuid.New()
			created, err := s.insertNew(ctx, tx, []store.MemberSignupInsertParams{s.signupParams(ctx, id, s.emailHash(dedupe), send, in)})
			if err != nil {
				return err
			}
			if !created[0] {
				return fmt.Errorf("import: address appeared during import")
			}
			if err := store.Q.MemberMarkImportedActive(ctx, tx, id); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			report.Imported++
		}
		return audit.Record(ctx, tx, audit.Event{Action: "member.import", Details: map[string]any{"imported": report.Imported, "rows": report.Rows}})
	})
	if err != nil {
		return nil, err
	}
	return report, nil
}

// importHeader reads an import's header row into column positions by
// lower-case name. A column the import does not read (a typo, "role" for
// role_title) or one named twice is refused: its values would otherwise
// be left out of every row unseen. An unnamed column (a spreadsheet's
// trailing comma) is no column.
func importHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		_, twice := col[name]
		switch {
		case name == "":
			continue
		case !slices.Contains(importColumns, name):
			return nil, hpa.Invalid("body", fmt.Sprintf("the header names a column an import does not read, %q (column %d); the columns are: %s",
				name, i+1, strings.Join(importColumns, ",")))
		case twice:
			return nil, hpa.Invalid("body", fmt.Sprintf("the header names %q twice; the columns are: %s", name, strings.Join(importColumns, ",")))
		}
		col[name] = i
	}
	return col, nil
}

func (s *Service) parseImport(r io.Reader) ([]Signup, *ImportReport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, hpa.Invalid("body", "must be CSV with a header row: "+strings.Join(importColumns, ","))
	}
	col, err := importHeader(header)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := col["email"]; !ok {
		return nil, nil, hpa.Invalid("body", "the header must include email (columns: "+strings.Join(importColumns, ",")+")")
	}
	report := &ImportReport{}
	var signups []Signup
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		report.Rows++
		if report.Rows > maxImportRows {
			return nil, nil, hpa.Invalid("body", fmt.Sprintf("at most %d rows per import", maxImportRows))
		}
		if err != nil {
			report.Errors = append(report.Errors, ImportIssue{Row: line, Message: "not valid CSV: " + err.Error()})
			signups = append(signups, Signup{})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		in := Signup{Email: get("email"), Source: SourceImport, ConsentVersion: get("consent_version"), Profile: Profile{
			Name: get("name"), Organisation: get("organisation"), RoleTitle: get("role_title"), Region: get("region"),
			Audiences: splitList(get("audiences")), Interests: splitList(get("interests")),
		}}
		if msg := s.checkImportRow(&in); msg != nil {
			report.Errors = append(report.Errors, ImportIssue{Row: line, Field: msg.Location, Message: msg.Message})
			signups = append(signups, Signup{})
			continue
		}
		_, dedupe, _ := NormaliseEmail(in.Email)
		if first, dup := seen[dedupe]; dup {
			report.Duplicates = append(report.Duplicates, ImportIssue{Row: line, Field: "email", Message: fmt.Sprintf("same person as row %d", first)})
			signups = append(signups, Signup{})
			continue
		}
		seen[dedupe] = line
		signups = append(signups, in)
	}
	return signups, report, nil
}

func (s *Service) checkImportRow(in *Signup) *hpa.FieldError {
	// A file exported in another encoding (a spreadsheet's Latin-1) or
	// holding a NUL would fail the whole import at the database: say which
	// row and column instead.
	p := in.Profile
	for i, texts := range [][]string{ // in the order of importColumns
		{in.Email}, {p.Name}, {p.Organisation}, {p.RoleTitle}, p.Audiences, {p.Region}, p.Interests, {in.ConsentVersion}} {
		for _, text := range texts {
			if fault := hpa.TextFault(text); fault != "" {
				return &hpa.FieldError{Location: importColumns[i], Message: fault + " (save the file as UTF-8)"}
			}
		}
	}
	if _, _, err := NormaliseEmail(in.Email); err != nil {
		return &hpa.FieldError{Location: "email", Message: "not a valid email address"}
	}
	if in.ConsentVersion != MembershipConsent.Version {
		return &hpa.FieldError{Location: "consent_version", Message: "must be " + MembershipConsent.Version + ": people must have agreed to the current wording"}
	}
	if err := in.Profile.validate(); err != nil {
		if he, ok := err.(*hpa.Error); ok && len(he.Fields) > 0 {
			f := he.Fields[0]
			return &hpa.FieldError{Location: strings.TrimPrefix(f.Location, "body."), Message: f.Message}
		}
		return &hpa.FieldError{Message: err.Error()}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
