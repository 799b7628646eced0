package visits

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// maxPlausibleEntry bounds one report's size once decompressed, so a zip
// that expands without end is refused.
const maxPlausibleEntry = 4 << 30

// plausibleEntry matches the reports in Plausible's export zip:
// imported_pages_20240101_20241231.csv (or pages_….csv).
var plausibleEntry = regexp.MustCompile(`^(?:imported_)?([a-z_]+?)_[0-9]{8}_[0-9]{8}\.csv$`)

// plausibleReport says how one of Plausible's reports maps onto HPA's
// dimensions: the column holding the value (none for the totals) and the
// columns of the figures.
type plausibleReport struct {
	dimension, column string
	visits            string // the column counted as visits
}

var plausibleReports = map[string]plausibleReport{
	"visitors":          {visits: "visits"},
	"sources":           {dimension: "source", column: "source", visits: "visits"},
	"pages":             {dimension: "page", column: "page", visits: "visits"},
	"entry_pages":       {dimension: "entry_page", column: "entry_page", visits: "entrances"},
	"custom_events":     {dimension: "event_name", column: "name"},
	"locations":         {dimension: "country", column: "country", visits: "visits"},
	"devices":           {dimension: "device", column: "device", visits: "visits"},
	"browsers":          {dimension: "browser", column: "browser", visits: "visits"},
	"operating_systems": {dimension: "os", column: "operating_system", visits: "visits"},
	// Exit pages have no dimension here: their rows are read and skipped.
	"exit_pages": {},
}

// sourceColumns are the other dimensions Plausible's sources report carries.
var sourceColumns = []string{"referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}

// readPlausible reads Plausible's CSV export: a zip needs its directory at
// the end, so the upload is spooled to a temporary file (never held in
// memory) and each report is then read as a stream.
func (r *importRun) readPlausible(body io.Reader) error {
	f, err := os.CreateTemp("", "hpa-import-*.zip")
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
	size, err := io.Copy(f, body)
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return hpa.Errorf(hpa.EINVALID, "not a zip file (%v): upload the zip Plausible's CSV export downloads", err)
	}
	found := 0
	for _, entry := range zr.File {
		m := plausibleEntry.FindStringSubmatch(path.Base(entry.Name))
		if m == nil {
			continue
		}
		report, ok := plausibleReports[m[1]]
		if !ok {
			continue
		}
		found++
		rc, err := entry.Open()
		if err != nil {
			r.reject(path.Base(entry.Name), 0, "cannot be read from the zip: "+err.Error())
			continue
		}
		err = r.readPlausibleReport(io.LimitReader(rc, maxPlausibleEntry), path.Base(entry.Name), report)
		_ = rc.Close()
		if err != nil {
			return err
		}
	}
	if found == 0 {
		return hpa.Errorf(hpa.EINVALID, "the zip holds none of Plausible's reports (imported_visitors_….csv, imported_pages_….csv…)")
	}
	return nil
}

// readPlausibleReport reads one report. Columns are found by name, so
// exports from older Plausible versions (without pageviews in some
// reports) read too; a figure a report lacks counts as 0.
func (r *importRun) readPlausibleReport(body io.Reader, file string, report plausibleReport) error {
	rows := newCSVRows(body, r, file)
	cols, err := rows.header()
	if err != nil || cols == nil {
		return err
	}
	need := []string{"date", "visitors"}
	if report.column != "" {
		need = append(need, report.column)
	}
	for _, c := range need {
		if _, ok := cols[c]; !ok {
			r.reject(file, 1, fmt.Sprintf("the header lacks the %s column", c))
			return nil
		}
	}
	today := r.s.today()
	for {
		rec, line, err := rows.next()
		if err != nil || rec == nil {
			return err
		}
		r.row()
		if report.dimension == "" && report.visits == "" {
			r.imp.RowsSkipped++
			continue
		}
		cell := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		day, problem := importDay(cell("date"), today)
		var v sums
		for _, m := range []struct {
			name string
			to   *int64
		}{{"visitors", &v.visitors}, {report.visits, &v.visits}, {"pageviews", &v.pageviews}, {"events", &v.events},
			{"bounces", &v.bounces}, {"visit_duration", &v.duration}} {
			if problem == "" && m.name != "" {
				*m.to, problem = importCount(m.name, cell(m.name))
			}
		}
		if _, ok := cols["events"]; !ok {
			v.events = v.pageviews
		}
		if problem == "" && v.bounces > v.visits {
			problem = "bounces exceed visits"
		}
		values := map[string]string{}
		if report.column != "" && problem == "" {
			var value string
			value, problem = importValue(report.column, cell(report.column))
			if report.dimension == "source" && value == "" {
				value = directSource
			}
			values[report.dimension] = value
			if report.dimension == "source" {
				for _, c := range sourceColumns {
					if _, ok := cols[c]; ok && problem == "" {
						values[c], problem = importValue(c, cell(c))
					}
				}
			}
			if report.dimension == "country" {
				values["country"] = strings.ToUpper(values["country"])
			}
		} else if report.column == "" {
			values[""] = ""
		}
		if problem != "" {
			r.reject(file, line, problem)
			continue
		}
		for d, value := range values {
			if err := r.figures.add(day, d, value, v); err != nil {
				return err
			}
		}
		r.imp.RowsImported++
	}
}
