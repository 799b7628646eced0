package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits/importtest"
)

type importReport struct {
	ID           string
	Status       string
	DryRun       bool   `json:"dry_run"`
	DuplicateOf  string `json:"duplicate_of"`
	RowsRead     int    `json:"rows_read"`
	RowsImported int    `json:"rows_imported"`
	RowsSkipped  int    `json:"rows_skipped"`
	RowsRejected int    `json:"rows_rejected"`
	Visits       int
	Pageviews    int
	Problems     []struct {
		File   string
		Line   int
		Reason string
	}
}

func postImport(t *testing.T, srv *apitest.Server, token, query, contentType string, body []byte) (*apitest.Response, importReport) {
	t.Helper()
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/imports?" + query, Body: body, Token: token,
		Header: http.Header{"Content-Type": {contentType}}})
	var rep importReport
	if r.StatusCode == http.StatusOK {
		r.JSON(t, &rep)
	}
	return r, rep
}

type importedSummary struct {
	Visitors, Visits, Pageviews, Events int
}

func summaryOf(t *testing.T, srv *apitest.Server, token, from, to string, withImports bool) importedSummary {
	t.Helper()
	path := "/v1/stats/summary?period=custom&from=" + from + "&to=" + to
	if withImports {
		path += "&include=imports"
	}
	var s importedSummary
	r := srv.Do(apitest.Request{Path: path, Token: token})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("summary: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &s)
	return s
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// goatCounterCount counts a GoatCounter export as its documentation
// describes it, independently of the importer: bot rows left out, a visit
// per session and day (Europe/London), page views are the rows that are
// not events.
func goatCounterCount(t *testing.T, file []byte) (rows, bots int, sum importedSummary, pages map[string]int) {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	london, _ := time.LoadLocation("Europe/London")
	sessions := map[string]bool{}
	pages = map[string]int{}
	for _, r := range records[1:] {
		rows++
		if r[7] != "0" {
			bots++
			continue
		}
		at, err := time.Parse(time.RFC3339, r[13])
		if err != nil {
			t.Fatal(err)
		}
		sessions[at.In(london).Format(time.DateOnly)+" "+r[6]] = true
		sum.Events++
		if r[2] == "false" {
			sum.Pageviews++
			pages[r[0]]++
		}
	}
	sum.Visits, sum.Visitors = len(sessions), len(sessions)
	return rows, bots, sum, pages
}

func TestStatsImportGoatCounterOnceAndReportsIncludeIt(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	var file bytes.Buffer
	if err := importtest.GoatCounter(&file, 7, date(2024, 3, 1), date(2024, 3, 7)); err != nil {
		t.Fatal(err)
	}
	rows, bots, want, wantPages := goatCounterCount(t, file.Bytes())

	r, first := postImport(t, srv, analyst, "format=goatcounter", "text/csv", file.Bytes())
	if r.StatusCode != http.StatusOK || first.Status != "completed" || first.RowsRead != rows || first.RowsSkipped != bots ||
		first.RowsImported != rows-bots || first.Visits != want.Visits || first.Pageviews != want.Pageviews {
		t.Fatalf("import: %d %s (want %d rows, %d bots, %+v)", r.StatusCode, r.Body, rows, bots, want)
	}
	if got := summaryOf(t, srv, analyst, "2024-03-01", "2024-03-07", true); got != want {
		t.Errorf("summary with imports: %+v, want %+v", got, want)
	}
	if got := summaryOf(t, srv, analyst, "2024-03-01", "2024-03-07", false); got != (importedSummary{}) {
		t.Errorf("summary without imports: %+v", got)
	}
	var pages struct {
		Results []struct {
			Value     string
			Pageviews int
		}
	}
	r = srv.Do(apitest.Request{Path: "/v1/stats/breakdown/page?period=custom&from=2024-03-01&to=2024-03-07&include=imports&all=true", Token: analyst})
	r.JSON(t, &pages)
	got := map[string]int{}
	for _, p := range pages.Results {
		got[p.Value] = p.Pageviews
	}
	if fmt.Sprint(got) != fmt.Sprint(wantPages) {
		t.Errorf("pages: %v, want %v", got, wantPages)
	}
	var byDay struct {
		Results []struct{ Metrics []float64 }
		Meta    struct {
			ImportsIncluded bool `json:"imports_included"`
		}
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/query", Token: analyst, Body: map[string]any{
		"metrics": []string{"visits"}, "date_range": []string{"2024-03-01", "2024-03-07"}, "dimensions": []string{"time:day"},
		"include": map[string]any{"imports": true}}})
	r.JSON(t, &byDay)
	visits := 0
	for _, row := range byDay.Results {
		visits += int(row.Metrics[0])
	}
	if r.StatusCode != http.StatusOK || !byDay.Meta.ImportsIncluded || len(byDay.Results) != 7 || visits != want.Visits {
		t.Errorf("visits by day: %d %s", r.StatusCode, r.Body)
	}

	// The same file again: nothing imported, and it says so.
	r, second := postImport(t, srv, analyst, "format=goatcounter", "text/csv", file.Bytes())
	if r.StatusCode != http.StatusOK || second.Status != "duplicate" || second.DuplicateOf != first.ID || second.RowsImported != 0 {
		t.Fatalf("second import: %d %s", r.StatusCode, r.Body)
	}
	if got := summaryOf(t, srv, analyst, "2024-03-01", "2024-03-07", true); got != want {
		t.Errorf("summary after the second import: %+v, want %+v", got, want)
	}
	var list struct{ Imports []importReport }
	srv.Do(apitest.Request{Path: "/v1/stats/imports", Token: analyst}).JSON(t, &list)
	if len(list.Imports) != 2 || list.Imports[0].Status != "duplicate" || list.Imports[1].Status != "completed" {
		t.Errorf("imports: %+v", list.Imports)
	}

	// Deleting removes its figures; the file may then come in again.
	r = srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/imports/" + first.ID, Token: analyst})
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"status":"deleted"`) {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}
	if got := summaryOf(t, srv, analyst, "2024-03-01", "2024-03-07", true); got != (importedSummary{}) {
		t.Errorf("summary after deleting: %+v", got)
	}
	r = srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/imports/" + first.ID, Token: analyst})
	if p := r.Problem(t); r.StatusCode != http.StatusConflict || p.Code != "import-not-deletable" {
		t.Errorf("delete twice: %d %s", r.StatusCode, r.Body)
	}
	if r, again := postImport(t, srv, analyst, "format=goatcounter", "text/csv", file.Bytes()); r.StatusCode != http.StatusOK || again.Status != "completed" {
		t.Errorf("import after delete: %d %s", r.StatusCode, r.Body)
	}

	// Each import that changed the figures, and each deletion, is in the
	// audit log under the analyst who made it (the duplicate changed nothing).
	audited := map[string]int{}
	events, err := srv.Pool.Query(t.Context(), `SELECT action FROM audit_events WHERE target_type = 'stats_import' AND actor_type = 'staff'`)
	if err != nil {
		t.Fatal(err)
	}
	for events.Next() {
		var action string
		_ = events.Scan(&action)
		audited[action]++
	}
	if audited["stats_import.complete"] != 2 || audited["stats_import.delete"] != 1 {
		t.Errorf("audited: %v", audited)
	}
}

// plausibleCount sums the reports of a Plausible export by their column
// names, independently of the importer.
func plausibleCount(t *testing.T, file []byte) (totals importedSummary, sourceVisits, browserVisits map[string]int, exitRows int) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	sourceVisits, browserVisits = map[string]int{}, map[string]int{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(rc).ReadAll()
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		num := func(r []string, name string) int {
			var n int
			fmt.Sscan(r[col[name]], &n)
			return n
		}
		for _, r := range records[1:] {
			switch {
			case strings.HasPrefix(f.Name, "imported_visitors_"):
				totals.Visitors += num(r, "visitors")
				totals.Visits += num(r, "visits")
				totals.Pageviews += num(r, "pageviews")
				totals.Events += num(r, "pageviews")
			case strings.HasPrefix(f.Name, "imported_sources_"):
				src := r[col["source"]]
				if src == "" {
					src = "Direct / None"
				}
				sourceVisits[src] += num(r, "visits")
			case strings.HasPrefix(f.Name, "imported_browsers_"):
				browserVisits[r[col["browser"]]] += num(r, "visits")
			case strings.HasPrefix(f.Name, "imported_exit_pages_"):
				exitRows++
			}
		}
	}
	return totals, sourceVisits, browserVisits, exitRows
}

func breakdownVisits(t *testing.T, srv *apitest.Server, token, dimension, from, to string) map[string]int {
	t.Helper()
	var b struct {
		Results []struct {
			Value  string
			Visits int
		}
	}
	r := srv.Do(apitest.Request{Path: "/v1/stats/breakdown/" + dimension + "?period=custom&from=" + from + "&to=" + to + "&include=imports&all=true", Token: token})
	r.JSON(t, &b)
	out := map[string]int{}
	for _, row := range b.Results {
		out[row.Value] = row.Visits
	}
	return out
}

func TestStatsImportPlausibleAfterADryRun(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	var file bytes.Buffer
	if err := importtest.Plausible(&file, 11, date(2024, 4, 1), date(2024, 4, 5)); err != nil {
		t.Fatal(err)
	}
	want, sources, browsers, exitRows := plausibleCount(t, file.Bytes())

	r, dry := postImport(t, srv, admin, "format=plausible&dry_run=true", "application/zip", file.Bytes())
	if r.StatusCode != http.StatusOK || dry.Status != "checked" || !dry.DryRun || dry.ID != "" || dry.Visits != want.Visits {
		t.Fatalf("dry run: %d %s", r.StatusCode, r.Body)
	}
	if n := count(t, srv, `SELECT count(*) FROM visit_imports`) + count(t, srv, `SELECT count(*) FROM visit_imported_daily`); n != 0 {
		t.Errorf("a dry run wrote %d rows", n)
	}
	if got := summaryOf(t, srv, admin, "2024-04-01", "2024-04-05", true); got != (importedSummary{}) {
		t.Errorf("summary after a dry run: %+v", got)
	}

	r, imp := postImport(t, srv, admin, "format=plausible", "application/zip", file.Bytes())
	if r.StatusCode != http.StatusOK || imp.Status != "completed" || imp.RowsSkipped != exitRows || imp.RowsImported != dry.RowsImported {
		t.Fatalf("import: %d %s", r.StatusCode, r.Body)
	}
	if got := summaryOf(t, srv, admin, "2024-04-01", "2024-04-05", true); got != want {
		t.Errorf("summary: %+v, want %+v", got, want)
	}
	if got := breakdownVisits(t, srv, admin, "source", "2024-04-01", "2024-04-05"); fmt.Sprint(got) != fmt.Sprint(sources) {
		t.Errorf("sources: %v, want %v", got, sources)
	}
	if got := breakdownVisits(t, srv, admin, "browser", "2024-04-01", "2024-04-05"); fmt.Sprint(got) != fmt.Sprint(browsers) {
		t.Errorf("browsers (versions added up): %v, want %v", got, browsers)
	}
}

func TestStatsImportWithBadRowsAppliesNothing(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	lines := []string{
		"date,page,source,visitors,visits,pageviews",
		"2024-05-01,,,10,12,30",
		"2099-05-01,,,1,1,1",
		"2024-05-02,,,-3,1,1",
		"2024-05-02,/" + strings.Repeat("a", 600) + ",,1,1,1",
		"2024-05-02,/join,,1,1",
		"2024-05-02,/,,3,2,2,9",
		"2024-05-03,/,Google,4,5,9",
	}
	bad := strings.Join(lines, "\n") + "\n"
	// Text the database cannot store is refused as everywhere in the API.
	withNUL := strings.Join(append(slices.Clone(lines[:2]), "2024-05-01,/about\x00,,1,1,1"), "\n") + "\n"
	for _, c := range []struct {
		query, file, code string
		lines             []int
	}{
		{"format=csv&dry_run=true", bad, "import-rejected", []int{3, 4, 5, 6, 7}},
		{"format=csv", bad, "import-rejected", []int{3, 4, 5, 6, 7}},
		{"format=csv", withNUL, "invalid-text", []int{3}},
		// A column named twice: one would be read, the other left out unseen.
		{"format=csv&dry_run=true", "date,visitors,visits,Visitors\n2024-05-01,10,12,11\n", "import-rejected", []int{1}},
	} {
		r, _ := postImport(t, srv, analyst, c.query, "text/csv", []byte(c.file))
		p := r.Problem(t)
		if r.StatusCode != http.StatusUnprocessableEntity || p.Code != c.code || len(p.Errors) != len(c.lines) {
			t.Fatalf("%s: %d %s", c.query, r.StatusCode, r.Body)
		}
		for i, line := range c.lines {
			if p.Errors[i].Location != fmt.Sprintf("body.line[%d]", line) {
				t.Errorf("%s: problem %d at %s, want line %d", c.query, i, p.Errors[i].Location, line)
			}
		}
	}
	if n := count(t, srv, `SELECT count(*) FROM visit_imported_daily`); n != 0 {
		t.Errorf("%d imported figures kept from a rejected file", n)
	}
	var list struct{ Imports []importReport }
	srv.Do(apitest.Request{Path: "/v1/stats/imports", Token: analyst}).JSON(t, &list)
	if len(list.Imports) != 2 || list.Imports[1].Status != "rejected" || list.Imports[1].RowsRejected != 5 || len(list.Imports[1].Problems) != 5 ||
		list.Imports[1].RowsRead != 7 || list.Imports[0].Status != "rejected" {
		t.Errorf("imports: %+v", list.Imports)
	}
	if got := summaryOf(t, srv, analyst, "2024-05-01", "2024-05-03", true); got != (importedSummary{}) {
		t.Errorf("summary: %+v", got)
	}
}

func TestStatsImportPlainCSVAddsUp(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	var file bytes.Buffer
	if err := importtest.Daily(&file, 5, date(2024, 6, 1), date(2024, 6, 30)); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(file.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var want importedSummary
	join := 0
	for _, r := range records[1:] {
		var visitors, visits, pageviews int
		fmt.Sscan(r[3], &visitors)
		fmt.Sscan(r[4], &visits)
		fmt.Sscan(r[5], &pageviews)
		switch {
		case r[1] == "" && r[2] == "":
			want.Visitors += visitors
			want.Visits += visits
			want.Pageviews += pageviews
			want.Events += pageviews
		case r[1] == "/join":
			join += visits
		}
	}
	r, imp := postImport(t, srv, analyst, "format=csv", "text/csv; charset=utf-8", file.Bytes())
	if r.StatusCode != http.StatusOK || imp.Status != "completed" || imp.RowsImported != len(records)-1 {
		t.Fatalf("import: %d %s", r.StatusCode, r.Body)
	}
	if got := summaryOf(t, srv, analyst, "2024-06-01", "2024-06-30", true); got != want {
		t.Errorf("summary: %+v, want %+v", got, want)
	}
	if got := breakdownVisits(t, srv, analyst, "page", "2024-06-01", "2024-06-30")["/join"]; got != join {
		t.Errorf("/join visits: %d, want %d", got, join)
	}
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/stats/imports?format=plausible", Token: analyst, Body: file.Bytes(),
		Header: http.Header{"Content-Type": {"text/csv"}}})
	if r.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("plausible sent as CSV: %d %s", r.StatusCode, r.Body)
	}
}

func TestStatsImportCounterCountsEachDayOnce(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	admin := srv.StaffToken(t, identity.RoleAdmin)
	type counter struct {
		Total    int64 `json:"total_visits"`
		Baseline int64 `json:"historic_baseline"`
		Counted  int64
		Imported int64
	}
	read := func() counter {
		var c counter
		srv.Get("/v1/stats/counter").JSON(t, &c)
		return c
	}
	totals := func(rows ...string) []byte {
		return []byte("date,visitors,visits,pageviews\n" + strings.Join(rows, "\n") + "\n")
	}
	post := func(query string, body []byte) importReport {
		t.Helper()
		r, rep := postImport(t, srv, admin, query, "text/csv", body)
		if r.StatusCode != http.StatusOK || rep.Status != "completed" {
			t.Fatalf("import: %d %s", r.StatusCode, r.Body)
		}
		return rep
	}
	before := read()
	if before.Baseline != 58325 || before.Imported != 0 {
		t.Fatalf("counter before: %+v", before)
	}
	// History already in the baseline (the default) adds nothing.
	post("format=csv", totals("2024-01-01,9,10,30"))
	if c := read(); c != before {
		t.Errorf("counter after an import within the baseline: %+v, want %+v", c, before)
	}
	// Two tools' exports missing from the baseline overlap on 2 January:
	// the day counts once, with the larger figure.
	post("format=csv&add_to_counter=true", totals("2024-01-01,9,10,30", "2024-01-02,19,20,50"))
	third := post("format=csv&add_to_counter=true", totals("2024-01-02,24,25,60", "2024-01-03,5,5,9"))
	if c := read(); c.Imported != 10+25+5 || c.Total != before.Total+40 {
		t.Errorf("counter after overlapping imports: %+v", c)
	}
	// Days this service counted are not counted again.
	twoVisitors(t, srv)
	today := time.Now().In(mustLondon(t)).Format(time.DateOnly)
	post("format=csv&add_to_counter=true", totals(today+",90,100,300"))
	if c := read(); c.Imported != 40 || c.Counted != 2 || c.Total != before.Total+42 {
		t.Errorf("counter with native visits: %+v", c)
	}
	srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/stats/imports/" + third.ID, Token: admin})
	if c := read(); c.Imported != 10+20 {
		t.Errorf("counter after deleting an import: %+v", c)
	}
}

func mustLondon(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// While a file streams in, its import is listed as running with the rows
// read so far; it completes when the upload ends.
func TestStatsImportShowsProgressWhileRunning(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, nil)
	analyst := srv.StaffToken(t, identity.RoleAnalyst)
	body, upload := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/stats/imports?format=csv", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+analyst)
	answered := make(chan *apitest.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- nil
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- &apitest.Response{Response: resp, Body: b}
	}()
	write := func(from, to int) {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "%s,%d,%d\n", date(2000, 1, 1).AddDate(0, 0, i).Format(time.DateOnly), i%7, i%7+1)
		}
		if _, err := io.WriteString(upload, b.String()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.WriteString(upload, "date,visitors,visits\n"); err != nil {
		t.Fatal(err)
	}
	write(0, 9000)
	var list struct{ Imports []importReport }
	apitest.Eventually(t, 10*time.Second, "the import's progress", func() bool {
		srv.Do(apitest.Request{Path: "/v1/stats/imports", Token: analyst}).JSON(t, &list)
		return len(list.Imports) == 1 && list.Imports[0].Status == "running" && list.Imports[0].RowsRead >= 5000
	})
	write(9000, 9100)
	if err := upload.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-answered
	if r == nil {
		t.Fatal("the upload failed")
	}
	apitest.CheckContract(t, req, r)
	var done importReport
	r.JSON(t, &done)
	if r.StatusCode != http.StatusOK || done.Status != "completed" || done.RowsImported != 9100 {
		t.Errorf("import: %d %s", r.StatusCode, r.Body)
	}
}
