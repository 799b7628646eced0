package visits

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goatCounterColumns is the header of GoatCounter's CSV export, version 2
// (the version is the number before Path).
var goatCounterColumns = []string{"2Path", "Title", "Event", "UserAgent", "Browser", "System", "Session", "Bot",
	"Referrer", "Referrer scheme", "Screen size", "Location", "FirstVisit", "Date"}

const (
	gcPath = iota
	gcTitle
	gcEvent
	gcUserAgent
	gcBrowser
	gcSystem
	gcSessionID
	gcBot
	gcReferrer
	gcScheme
	gcScreen
	gcLocation
	gcFirstVisit
	gcDate
)

var countryCode = regexp.MustCompile(`^[A-Z]{2}`)

// gcKey is a GoatCounter session on one site-local day: the session ID
// stands for the day's visitor ID, as HPA's own do not outlive a day.
type gcKey struct {
	day     time.Time
	session string
}

// gcVisit is what a session's hits add up to.
type gcVisit struct {
	first, last time.Time
	entry       string
	entryAt     time.Time
	dims        map[string]string
	pageviews   int64
	events      int64
	pages       map[string]int64
	names       map[string]int64
}

// readGoatCounter reads GoatCounter's export, a row per page view or
// event, into daily figures counted as HPA counts its own events: a
// visit is a session's hits on one day (GoatCounter's session, not cut at
// 30 idle minutes), bots are skipped, session dimensions are those of its
// first hit, and page and event_name rows count the visits that include
// each value.
func (r *importRun) readGoatCounter(body io.Reader) error {
	rows := newCSVRows(body, r, "")
	head, _, err := rows.next()
	if err != nil {
		return err
	}
	if len(head) == 0 || !strings.HasPrefix(head[0], "2") {
		version := ""
		if len(head) > 0 {
			version = truncateUTF8(head[0], 10)
		}
		r.reject("", 1, fmt.Sprintf("not a GoatCounter export of version 2 (its header starts %q, not \"2Path\")", version))
		return rows.drain()
	}
	if len(head) != len(goatCounterColumns) {
		r.reject("", 1, fmt.Sprintf("the header has %d columns; GoatCounter's version 2 export has %d (%s)",
			len(head), len(goatCounterColumns), strings.Join(goatCounterColumns, ",")))
		return rows.drain()
	}
	sessions := map[gcKey]*gcVisit{}
	for {
		rec, line, err := rows.next()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		r.row()
		if len(rec) != len(goatCounterColumns) {
			r.reject("", line, fmt.Sprintf("has %d fields, not %d", len(rec), len(goatCounterColumns)))
			continue
		}
		if problem := r.goatCounterHit(rec, sessions); problem != "" {
			r.reject("", line, problem)
		}
	}
	for k, s := range sessions {
		if err := r.addGoatCounterSession(k.day, s); err != nil {
			return err
		}
	}
	return nil
}

// goatCounterHit adds one row to its session, or says what is wrong.
func (r *importRun) goatCounterHit(rec []string, sessions map[gcKey]*gcVisit) string {
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(rec[gcDate]))
	if err != nil {
		return fmt.Sprintf("Date %q is not an RFC 3339 time", truncateUTF8(rec[gcDate], 40))
	}
	day, problem := importDay(localDate(at, r.s.settings.TimeZone).Format(time.DateOnly), r.s.today())
	if problem != "" {
		return problem
	}
	event, err := strconv.ParseBool(rec[gcEvent])
	if err != nil {
		return fmt.Sprintf("Event %q is not true or false", truncateUTF8(rec[gcEvent], 10))
	}
	if _, err := strconv.ParseBool(rec[gcFirstVisit]); err != nil {
		return fmt.Sprintf("FirstVisit %q is not true or false", truncateUTF8(rec[gcFirstVisit], 10))
	}
	bot, err := strconv.Atoi(strings.TrimSpace(rec[gcBot]))
	if err != nil || bot < 0 {
		return fmt.Sprintf("Bot %q is not a number", truncateUTF8(rec[gcBot], 10))
	}
	path, problem := importValue("Path", rec[gcPath])
	if problem == "" && path == "" {
		problem = "Path is empty"
	}
	session, p2 := importValue("Session", rec[gcSessionID])
	if problem == "" {
		problem = p2
	}
	if problem == "" && session == "" {
		problem = "Session is empty"
	}
	if problem != "" {
		return problem
	}
	if bot != 0 {
		r.imp.RowsSkipped++ // HPA counts no bots
		return ""
	}
	k := gcKey{day, session}
	s, ok := sessions[k]
	if !ok {
		if len(sessions) >= maxImportKeys {
			return fmt.Sprintf("the file holds more than %d sessions; split it by date", maxImportKeys)
		}
		s = &gcVisit{first: at, last: at, pages: map[string]int64{}, names: map[string]int64{}}
		sessions[k] = s
	}
	if !at.After(s.first) || s.dims == nil {
		s.first, s.dims = at, r.goatCounterDims(rec)
	}
	s.last = maxTime(s.last, at)
	s.events++
	if event {
		s.names[path]++
	} else {
		s.pageviews++
		s.pages[path]++
		s.names[pageviewName]++
		if s.entry == "" || at.Before(s.entryAt) {
			s.entry, s.entryAt = path, at
		}
	}
	r.imp.RowsImported++
	return ""
}

// goatCounterDims are a visit's dimensions from its first hit.
func (r *importRun) goatCounterDims(rec []string) map[string]string {
	d := map[string]string{"source": directSource, "referrer": "", "utm_source": "", "utm_medium": "", "utm_campaign": "",
		"utm_content": "", "utm_term": "", "country": "", "device": "", "browser": nameOnly(rec[gcBrowser]), "os": nameOnly(rec[gcSystem])}
	ref := strings.TrimSpace(rec[gcReferrer])
	switch rec[gcScheme] {
	case "h":
		if ref != "" && !strings.Contains(ref, "://") {
			ref = "https://" + ref
		}
		if p := r.s.parseReferrer(ref); p.problem == "" && p.source != "" {
			d["referrer"], d["source"] = p.referrer, p.source
		}
	case "c":
		if ref != "" {
			d["utm_source"], d["source"] = truncateUTF8(ref, maxPath), knownSource(truncateUTF8(ref, maxPath))
		}
	case "g", "o":
		if ref != "" {
			d["source"] = knownSource(truncateUTF8(ref, maxPath))
		}
	}
	if c := countryCode.FindString(strings.TrimSpace(rec[gcLocation])); c != "" {
		d["country"] = c
	}
	if w, err := strconv.ParseFloat(strings.SplitN(rec[gcScreen], ",", 2)[0], 64); err == nil && w > 0 {
		switch {
		case w < 576:
			d["device"] = "Mobile"
		case w < 992:
			d["device"] = "Tablet"
		default:
			d["device"] = "Desktop"
		}
	}
	return d
}

// addGoatCounterSession adds one visit to the day's figures.
func (r *importRun) addGoatCounterSession(day time.Time, s *gcVisit) error {
	v := sums{visitors: 1, visits: 1, pageviews: s.pageviews, events: s.events, duration: int64(s.last.Sub(s.first).Seconds())}
	if s.events == 1 && s.pageviews == 1 {
		v.bounces = 1
	}
	add := func(dim, value string, x sums) error { return r.figures.add(day, dim, value, x) }
	if err := add("", "", v); err != nil {
		return err
	}
	if err := add("entry_page", s.entry, v); err != nil {
		return err
	}
	for dim, value := range s.dims {
		if err := add(dim, value, v); err != nil {
			return err
		}
	}
	for page, n := range s.pages {
		if err := add("page", page, sums{visitors: 1, visits: 1, pageviews: n, events: n, bounces: v.bounces, duration: v.duration}); err != nil {
			return err
		}
	}
	for name, n := range s.names {
		x := sums{visitors: 1, visits: 1, events: n, bounces: v.bounces, duration: v.duration}
		if name == pageviewName {
			x.pageviews = n
		}
		if err := add("event_name", name, x); err != nil {
			return err
		}
	}
	return nil
}

// nameOnly drops a trailing version: "Firefox 121" is Firefox.
func nameOnly(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		s = s[:i]
	}
	return truncateUTF8(s, maxPath)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
