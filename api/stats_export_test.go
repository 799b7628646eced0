package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/visits"
)

// The export holds every report as CSV, whose figures add up to an
// independent count over the raw events.
func TestExportZipsEveryReport(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1"})
	exportedVisits(t, srv)
	if _, err := srv.App.Visits.CreateGoal(context.Background(), visits.Goal{Name: "Joined", PagePath: "/join"}); err != nil {
		t.Fatal(err)
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	r := srv.Do(apitest.Request{Path: "/v1/stats/export?period=7d", APIKey: key})
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), ".zip") {
		t.Fatalf("%d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	files := unzipCSV(t, r.Body)
	for _, name := range []string{"summary.csv", "visitors-by-day.csv", "page.csv", "source.csv", "utm_campaign.csv", "country.csv", "event_name.csv",
		"goals.csv", "screen_size.csv", "props.csv"} {
		if len(files[name]) < 2 {
			t.Errorf("%s: %v", name, files[name])
		}
	}
	pageviews := count(t, srv, `SELECT count(*) FROM visit_events WHERE name = 'pageview'`)
	column := func(rows [][]string, name string) (sum int64) {
		i := -1
		for j, h := range rows[0] {
			if h == name {
				i = j
			}
		}
		for _, row := range rows[1:] {
			n, _ := strconv.ParseInt(row[i], 10, 64)
			sum += n
		}
		return sum
	}
	for _, name := range []string{"summary.csv", "visitors-by-day.csv", "page.csv", "source.csv", "device.csv"} {
		if got := column(files[name], "pageviews"); got != pageviews {
			t.Errorf("%s: %d page views, want %d", name, got, pageviews)
		}
	}
	// Goals and properties, against the raw events.
	if got, want := fmt.Sprint(files["goals.csv"]), fmt.Sprintf("[[goal visitors events conversion_rate] [Joined 1 %d 50]]",
		count(t, srv, `SELECT count(*) FROM visit_events WHERE name = 'pageview' AND pathname = '/join'`)); got != want {
		t.Errorf("goals.csv: %s, want %s", got, want)
	}
	if got := fmt.Sprint(files["props.csv"]); got != "[[property value visitors visits events] [amount 25 1 1 1]]" {
		t.Errorf("props.csv: %s", got)
	}
	if got := column(files["screen_size.csv"], "pageviews"); got != pageviews {
		t.Errorf("screen_size.csv: %d page views, want %d", got, pageviews)
	}
	// A range reaching back before the raw events kept has the rollups'
	// reports only.
	r = srv.Do(apitest.Request{Path: "/v1/stats/export?period=custom&from=" + time.Now().AddDate(-2, 0, 0).Format(time.DateOnly) +
		"&to=" + time.Now().AddDate(0, 0, -1).Format(time.DateOnly), APIKey: key})
	if old := unzipCSV(t, r.Body); r.StatusCode != 200 || old["goals.csv"] != nil || old["props.csv"] != nil || old["page.csv"] == nil {
		t.Errorf("an export of two years: %d, %d files", r.StatusCode, len(old))
	}
	// A long list in CSV is paged, with its total and the next cursor in
	// headers, or comes whole.
	csvOf := func(path string) (*apitest.Response, [][]string) {
		r := srv.Do(apitest.Request{Path: path, APIKey: key, Header: http.Header{"Accept": {"text/csv"}}})
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return r, rows
	}
	r, rows := csvOf("/v1/stats/breakdown/page?period=7d&limit=1")
	r2, rest := csvOf("/v1/stats/breakdown/page?period=7d&limit=5&cursor=" + r.Header.Get("X-Next-Cursor"))
	if len(rows) != 2 || r.Header.Get("X-Total-Rows") != "3" || r.Header.Get("X-Next-Cursor") == "" || len(rest) != 3 || r2.Header.Get("X-Next-Cursor") != "" {
		t.Errorf("paged CSV: %v %v %v", r.Header, rows, rest)
	}
	if r, all := csvOf("/v1/stats/breakdown/page?period=7d&limit=1&all=true"); len(all) != 4 || r.Header.Get("X-Total-Rows") != "3" || r.Header.Get("X-Next-Cursor") != "" {
		t.Errorf("whole CSV: %v %v", r.Header, all)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/stats/export?period=custom&from=2026-01-05&to=2026-01-01", APIKey: key}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("reversed range: %d", r.StatusCode)
	}
}

// exportedVisits gives an export something in every report: two visitors,
// a custom event with a property, all written and rolled up.
func exportedVisits(t *testing.T, srv *apitest.Server) {
	t.Helper()
	twoVisitors(t, srv)
	if r := beacon(srv, `{"name":"donate-clicked","url":"https://www.example.org/join","props":{"amount":"25"}}`,
		http.Header{"User-Agent": {browserUA}, "X-Forwarded-For": {"192.0.2.1"}}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("beacon: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 5*time.Second, "event written", func() bool { return rawEvents(t, srv) == 5 })
	srv.RollUpVisits(t)
}

// unzipCSV reads every CSV file of a zip, by name.
func unzipCSV(t *testing.T, body []byte) map[string][][]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][][]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if files[f.Name], err = csv.NewReader(bytes.NewReader(b)).ReadAll(); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	return files
}

// A report of the export too long to count (filtered-range-too-long: here
// every report counted from visit rows or raw events, with a counting
// timeout of a nanosecond) is left out and listed in not-included.csv;
// the reports from rollups still come, whole.
func TestExportLeavesOutOnlyTheReportsTooLongToCount(t *testing.T) {
	t.Parallel()
	srv := startVisits(t, map[string]string{"HPA_TRUSTED_PROXIES": "127.0.0.1", "HPA_VISITS_COUNTING_TIMEOUT": "1ns"})
	exportedVisits(t, srv)
	ctx := context.Background()
	if _, err := srv.App.Visits.CreateGoal(ctx, visits.Goal{Name: "Joined", PagePath: "/join"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Visits.SaveFunnel(ctx, visits.SavedFunnel{Name: "Join", Steps: []visits.FunnelStep{{Page: "/"}, {Page: "/join"}}}); err != nil {
		t.Fatal(err)
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeStatsRead)
	r := srv.Do(apitest.Request{Path: "/v1/stats/export?period=7d", APIKey: key})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", r.StatusCode, r.Body)
	}
	files := unzipCSV(t, r.Body)
	if got := count(t, srv, `SELECT count(*) FROM visit_events WHERE name = 'pageview'`); len(files["summary.csv"]) != 2 || files["summary.csv"][1][2] == "" || len(files["page.csv"]) < 2 {
		t.Errorf("the rollups' reports: summary %v, pages %v (%d page views)", files["summary.csv"], files["page.csv"], got)
	}
	var left []string
	for _, row := range files["not-included.csv"][1:] {
		if row[2] != "filtered-range-too-long" {
			t.Errorf("not-included.csv: %v", row)
		}
		left = append(left, row[0]+" "+row[1])
		if files[row[0]] != nil && row[0] != "props.csv" {
			t.Errorf("%s is both left out and included", row[0])
		}
	}
	if got, want := strings.Join(left, ","), "goals.csv ,funnel-join.csv ,screen_size.csv ,props.csv property amount"; got != want {
		t.Errorf("left out %q, want %q", got, want)
	}
}
