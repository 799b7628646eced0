package visits

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// maxImportCount bounds one figure of one row: more page views than this
// in one day for one value is not a real site's history.
const maxImportCount = 1_000_000_000

// ImportMetricColumns are the plain CSV's metric columns.
var ImportMetricColumns = []string{"visitors", "visits", "pageviews", "events", "bounces", "visit_duration"}

// csvRows reads a CSV stream record by record, giving each its line.
type csvRows struct {
	r    *csv.Reader
	run  *importRun
	file string
}

func newCSVRows(r io.Reader, run *importRun, file string) *csvRows {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvRows{r: cr, run: run, file: file}
}

// next returns the next record that is storable text, rejecting (and
// skipping) the others; nil at the end.
func (c *csvRows) next() ([]string, int64, error) {
	for {
		rec, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return nil, 0, nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			c.run.row()
			c.run.reject(c.file, int64(perr.Line), "not valid CSV: "+perr.Err.Error())
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		line, _ := c.r.FieldPos(0)
		bad := ""
		for i, f := range rec {
			if fault := hpa.TextFault(f); fault != "" {
				bad = fmt.Sprintf("column %d %s", i+1, fault)
				break
			}
		}
		if bad != "" {
			c.run.row()
			c.run.rejectRow(ImportProblem{File: c.file, Line: int64(line), Reason: bad, text: true})
			continue
		}
		if line == 1 && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		}
		return rec, int64(line), nil
	}
}

// drain reads the rest of a file whose header is wrong, so that its rows
// are counted and those holding text that cannot be stored are reported.
func (c *csvRows) drain() error {
	for {
		rec, _, err := c.next()
		if err != nil || rec == nil {
			return err
		}
		c.run.row()
	}
}

// header reads the header row into column positions by lower-case name.
// A header naming a column twice is rejected and the file drained (nil
// columns): one of the two would otherwise be read and the other left
// out unseen.
func (c *csvRows) header() (map[string]int, error) {
	rec, _, err := c.next()
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, hpa.Errorf(hpa.EINVALID, "the file is empty: it needs a header row")
	}
	cols := make(map[string]int, len(rec))
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, twice := cols[name]; twice && name != "" {
			c.run.reject(c.file, 1, fmt.Sprintf("the header names the column %q twice", truncateUTF8(name, 40)))
			return nil, c.drain()
		}
		cols[name] = i
	}
	return cols, nil
}

// importDay reads a date of history: not before 2000, not in the future.
func importDay(s string, today time.Time) (time.Time, string) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	switch {
	case err != nil:
		return time.Time{}, fmt.Sprintf("date %q is not a date such as 2024-03-01", truncateUTF8(s, 40))
	case d.Before(earliestDate) || d.After(today):
		return time.Time{}, fmt.Sprintf("date %s is outside 2000-01-01 to today", d.Format(time.DateOnly))
	}
	return d, ""
}

// importCount reads a figure: a whole number from 0 to maxImportCount
// (empty is 0).
func importCount(name, s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxImportCount {
		return 0, fmt.Sprintf("%s %q is not a whole number from 0 to %d", name, truncateUTF8(s, 40), maxImportCount)
	}
	return n, ""
}

// importValue checks a dimension's value: at most maxPath bytes.
func importValue(name, s string) (string, string) {
	s = strings.TrimSpace(s)
	if len(s) > maxPath {
		return "", fmt.Sprintf("%s is longer than %d bytes", name, maxPath)
	}
	return s, ""
}

// readDailyCSV reads HPA's plain daily CSV: a header naming date, any of
// the dimensions and any of ImportMetricColumns; each row is one day's
// figures, for the values it names (a row with every dimension empty is
// the day's totals). Rows with the same day and values add up.
func (r *importRun) readDailyCSV(body io.Reader, file string) error {
	rows := newCSVRows(body, r, file)
	cols, err := rows.header()
	if err != nil || cols == nil {
		return err
	}
	if _, ok := cols["date"]; !ok {
		r.reject(file, 1, "the header needs a date column")
		return rows.drain()
	}
	var dims, metrics []string
	for name := range cols {
		switch {
		case name == "date":
		case slices.Contains(Dimensions, name):
			dims = append(dims, name)
		case slices.Contains(ImportMetricColumns, name):
			metrics = append(metrics, name)
		default:
			r.reject(file, 1, fmt.Sprintf("unknown column %q; use date, the dimensions (%s) and the metrics (%s)",
				truncateUTF8(name, 40), strings.Join(Dimensions, ", "), strings.Join(ImportMetricColumns, ", ")))
			return rows.drain()
		}
	}
	if len(metrics) == 0 {
		r.reject(file, 1, "the header names no metric; use some of "+strings.Join(ImportMetricColumns, ", "))
		return rows.drain()
	}
	slices.Sort(dims)
	today := r.s.today()
	for {
		rec, line, err := rows.next()
		if err != nil || rec == nil {
			return err
		}
		r.row()
		cell := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		if len(rec) != len(cols) {
			r.reject(file, line, fmt.Sprintf("has %d fields; the header has %d", len(rec), len(cols)))
			continue
		}
		day, problem := importDay(cell("date"), today)
		var v sums
		for _, m := range []struct {
			name string
			to   *int64
		}{{"visitors", &v.visitors}, {"visits", &v.visits}, {"pageviews", &v.pageviews}, {"events", &v.events},
			{"bounces", &v.bounces}, {"visit_duration", &v.duration}} {
			if problem == "" {
				*m.to, problem = importCount(m.name, cell(m.name))
			}
		}
		if _, ok := cols["events"]; !ok {
			v.events = v.pageviews
		}
		if problem == "" && v.bounces > v.visits {
			problem = "bounces exceed visits"
		}
		named := map[string]string{}
		for _, d := range dims {
			if problem != "" {
				break
			}
			var value string
			if value, problem = importValue(d, cell(d)); value != "" {
				named[d] = value
			}
		}
		if problem != "" {
			r.reject(file, line, problem)
			continue
		}
		if len(named) == 0 {
			named[""] = ""
		}
		for d, value := range named {
			if err := r.figures.add(day, d, value, v); err != nil {
				return err
			}
		}
		r.imp.RowsImported++
	}
}
