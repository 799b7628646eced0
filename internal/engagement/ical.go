package engagement

import (
	"strings"
	"time"
	"unicode/utf8"
)

// calendar renders events as an iCalendar (RFC 5545) document: CRLF line
// ends, lines folded at 75 octets, text values escaped, times in UTC.
func calendar(name, siteURL string, events []*Opportunity, now time.Time) []byte {
	var b strings.Builder
	line := func(s string) { writeFolded(&b, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Harmed Patients Alliance//HPA API//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escapeText(name))
	line("X-WR-TIMEZONE:Europe/London")
	for _, o := range events {
		if o.StartsAt == nil {
			continue
		}
		end := o.StartsAt.Add(time.Hour)
		if o.EndsAt != nil {
			end = *o.EndsAt
		}
		url := siteURL + "/opportunities/" + o.ID.String()
		location := o.Location
		if o.Online && location == "" {
			location = "Online"
		}
		status := "CONFIRMED"
		if o.Status == StatusClosed {
			status = "CANCELLED"
		}
		line("BEGIN:VEVENT")
		line("UID:" + o.ID.String() + "@harmedpatients.org.uk")
		line("DTSTAMP:" + icalTime(now))
		line("DTSTART:" + icalTime(*o.StartsAt))
		line("DTEND:" + icalTime(end))
		line("SUMMARY:" + escapeText(o.Title))
		line("DESCRIPTION:" + escapeText(o.Summary+"\n\n"+url))
		if location != "" {
			line("LOCATION:" + escapeText(location))
		}
		line("URL:" + url)
		line("ORGANIZER;CN=" + paramText(o.OrganiserName) + ":mailto:" + organiserAddress(o))
		line("STATUS:" + status)
		line("LAST-MODIFIED:" + icalTime(o.UpdatedAt))
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

func organiserAddress(o *Opportunity) string {
	if o.ContactEmail != "" {
		return o.ContactEmail
	}
	return "no-reply@harmedpatients.org.uk"
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes a TEXT value (RFC 5545 3.3.11).
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// paramText makes a parameter value safe: quoted, without quotes or
// control characters inside.
func paramText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 {
			return -1
		}
		return r
	}, s)
	return `"` + s + `"`
}

// writeFolded writes a content line, folding it into 75-octet pieces that
// never split a UTF-8 sequence, each continuation starting with a space.
func writeFolded(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}
