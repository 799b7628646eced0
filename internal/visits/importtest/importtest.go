// Package importtest writes visit history in the layouts other tools
// export (GoatCounter's CSV, Plausible's zip of CSVs) and in HPA's plain
// daily CSV, from a seed, for tests of importing. It follows each tool's
// documented columns; it shares no code with the importer.
package importtest

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

var (
	pages     = []string{"/", "/about-us", "/join", "/donate", "/news/spring-webinar"}
	browsers  = []string{"Firefox 121", "Chrome 120", "Safari 17"}
	systems   = []string{"Linux", "Windows 10", "macOS 14", "iOS 17"}
	screens   = []string{"1920,1080,1", "390,844,3", "820,1180,2", ""}
	locations = []string{"GB-ENG", "GB-SCT", "US-TX", "IE", ""}
)

// GoatCounterHeader is GoatCounter's CSV export header, version 2.
var GoatCounterHeader = []string{"2Path", "Title", "Event", "UserAgent", "Browser", "System", "Session", "Bot",
	"Referrer", "Referrer scheme", "Screen size", "Location", "FirstVisit", "Date"}

// GoatCounter writes a GoatCounter export of the days from first to last
// (UTC noon onwards, so each hit's day is the same in Europe/London):
// sessions of one to four hits, some events, some bot hits.
func GoatCounter(w io.Writer, seed uint64, first, last time.Time) error {
	r := rand.New(rand.NewPCG(seed, 1))
	cw := csv.NewWriter(w)
	if err := cw.Write(GoatCounterHeader); err != nil {
		return err
	}
	n := 0
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		for s := range 3 + r.IntN(6) {
			n++
			session := fmt.Sprintf("9c2f1b9e-0000-4000-8000-%012d", n)
			at := day.Add(10*time.Hour + time.Duration(s)*37*time.Minute)
			ref, scheme := "", ""
			switch r.IntN(4) {
			case 0:
				ref, scheme = "www.google.com/search", "h"
			case 1:
				ref, scheme = "newsletter", "c"
			case 2:
				ref, scheme = "Hacker News", "g"
			}
			browser, system := browsers[r.IntN(len(browsers))], systems[r.IntN(len(systems))]
			screen, location := screens[r.IntN(len(screens))], locations[r.IntN(len(locations))]
			bot := "0"
			if r.IntN(10) == 0 {
				bot = "3"
			}
			for h := range 1 + r.IntN(4) {
				path, event := pages[r.IntN(len(pages))], false
				if h > 0 && r.IntN(5) == 0 {
					path, event = "donate-clicked", true
				}
				row := []string{path, "HPA", strconv.FormatBool(event), "", browser, system, session, bot, ref, scheme, screen, location,
					strconv.FormatBool(h == 0), at.Add(time.Duration(h) * 3 * time.Minute).Format(time.RFC3339)}
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// plausibleColumns are the reports of Plausible's CSV export and their
// columns, as its importer reads them.
var plausibleColumns = map[string][]string{
	"imported_visitors":          {"date", "visitors", "pageviews", "bounces", "visits", "visit_duration"},
	"imported_sources":           {"date", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "pageviews", "visitors", "visits", "visit_duration", "bounces"},
	"imported_pages":             {"date", "hostname", "page", "visits", "visitors", "pageviews", "scroll_depth", "pageleave_visitors"},
	"imported_entry_pages":       {"date", "entry_page", "visitors", "entrances", "visit_duration", "bounces", "pageviews"},
	"imported_exit_pages":        {"date", "exit_page", "visitors", "visit_duration", "exits", "bounces", "pageviews"},
	"imported_custom_events":     {"date", "name", "link_url", "path", "visitors", "events"},
	"imported_locations":         {"date", "country", "region", "city", "visitors", "visits", "visit_duration", "bounces", "pageviews"},
	"imported_devices":           {"date", "device", "visitors", "visits", "visit_duration", "bounces", "pageviews"},
	"imported_browsers":          {"date", "browser", "browser_version", "visitors", "visits", "visit_duration", "bounces", "pageviews"},
	"imported_operating_systems": {"date", "operating_system", "operating_system_version", "visitors", "visits", "visit_duration", "bounces", "pageviews"},
}

// PlausibleReports lists the reports Plausible writes, in order.
var PlausibleReports = []string{"imported_visitors", "imported_sources", "imported_pages", "imported_entry_pages", "imported_exit_pages",
	"imported_custom_events", "imported_locations", "imported_devices", "imported_browsers", "imported_operating_systems"}

// Plausible writes the zip of Plausible's CSV export for the days first
// to last: one file per report, named as Plausible names them
// (imported_pages_20240301_20240310.csv), a row per day and value.
func Plausible(w io.Writer, seed uint64, first, last time.Time) error {
	r := rand.New(rand.NewPCG(seed, 2))
	zw := zip.NewWriter(w)
	suffix := "_" + first.Format("20060102") + "_" + last.Format("20060102") + ".csv"
	for _, report := range PlausibleReports {
		f, err := zw.Create(report + suffix)
		if err != nil {
			return err
		}
		cw := csv.NewWriter(f)
		if err := cw.Write(plausibleColumns[report]); err != nil {
			return err
		}
		for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
			for _, row := range plausibleRows(r, report, day.Format(time.DateOnly)) {
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return zw.Close()
}

// plausibleRows are one day's rows of a report: figures that hold
// together (bounces within visits, visitors within visits).
func plausibleRows(r *rand.Rand, report, date string) [][]string {
	n := func(lo, hi int) string { return strconv.Itoa(lo + r.IntN(hi-lo+1)) }
	figures := func() (visitors, visits, bounces, duration, pageviews string) {
		v := 5 + r.IntN(40)
		s := v + r.IntN(10)
		return strconv.Itoa(v), strconv.Itoa(s), strconv.Itoa(r.IntN(s + 1)), strconv.Itoa(s * (20 + r.IntN(100))), strconv.Itoa(s + r.IntN(3*s))
	}
	var rows [][]string
	switch report {
	case "imported_visitors":
		v, s, b, d, p := figures()
		rows = append(rows, []string{date, v, p, b, s, d})
	case "imported_sources":
		for _, src := range [][]string{{"", "", "", "", "", "", ""}, {"Google", "google.com", "", "", "", "", ""},
			{"newsletter", "", "newsletter", "email", "spring", "", ""}} {
			v, s, b, d, p := figures()
			rows = append(rows, append(append([]string{date}, src...), p, v, s, d, b))
		}
	case "imported_pages":
		for _, page := range pages[:3] {
			v, s, _, _, p := figures()
			rows = append(rows, []string{date, "www.harmedpatients.org.uk", page, s, v, p, "", n(0, 5)})
		}
	case "imported_entry_pages":
		for _, page := range pages[:2] {
			v, s, b, d, p := figures()
			rows = append(rows, []string{date, page, v, s, d, b, p})
		}
	case "imported_exit_pages":
		v, s, b, d, p := figures()
		rows = append(rows, []string{date, "/join", v, d, s, b, p})
	case "imported_custom_events":
		rows = append(rows, []string{date, "donate-clicked", "", "", n(1, 9), n(10, 20)})
	case "imported_locations":
		for _, c := range []string{"GB", "IE"} {
			v, s, b, d, p := figures()
			rows = append(rows, []string{date, c, c + "-X", "0", v, s, d, b, p})
		}
	case "imported_devices":
		for _, dev := range []string{"Desktop", "Mobile"} {
			v, s, b, d, p := figures()
			rows = append(rows, []string{date, dev, v, s, d, b, p})
		}
	case "imported_browsers":
		for _, b := range [][]string{{"Firefox", "121"}, {"Firefox", "120"}, {"Chrome", "120"}} {
			v, s, bo, d, p := figures()
			rows = append(rows, []string{date, b[0], b[1], v, s, d, bo, p})
		}
	case "imported_operating_systems":
		v, s, b, d, p := figures()
		rows = append(rows, []string{date, "Linux", "", v, s, d, b, p})
	}
	return rows
}

// DailyCSVHeader is the header Daily writes.
var DailyCSVHeader = []string{"date", "page", "source", "visitors", "visits", "pageviews", "bounces", "visit_duration"}

// Daily writes HPA's plain daily CSV for the days first to last: each
// day's totals (page and source empty), then a row per page and per source.
func Daily(w io.Writer, seed uint64, first, last time.Time) error {
	r := rand.New(rand.NewPCG(seed, 3))
	cw := csv.NewWriter(w)
	if err := cw.Write(DailyCSVHeader); err != nil {
		return err
	}
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		for _, dims := range [][]string{{"", ""}, {"/", ""}, {"/join", ""}, {"", "Google"}, {"", "Direct / None"}} {
			visitors := 1 + r.IntN(50)
			visits := visitors + r.IntN(5)
			row := append([]string{date}, dims...)
			row = append(row, strconv.Itoa(visitors), strconv.Itoa(visits), strconv.Itoa(visits+r.IntN(2*visits)),
				strconv.Itoa(r.IntN(visits+1)), strconv.Itoa(visits*r.IntN(200)))
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
