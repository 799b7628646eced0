package engagement

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

func TestDailyAtIsNineInLondonAcrossClockChanges(t *testing.T) {
	d := dailyAt{hour: 9, loc: hpa.London}
	for _, c := range []struct{ now, want string }{
		{"2026-11-26T08:00:00Z", "2026-11-26T09:00:00Z"}, // winter: GMT
		{"2026-11-26T09:00:00Z", "2026-11-27T09:00:00Z"},
		{"2026-07-01T07:59:00Z", "2026-07-01T08:00:00Z"}, // summer: BST
		{"2026-03-28T12:00:00Z", "2026-03-29T08:00:00Z"}, // clocks go forward overnight
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := d.Next(now).UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}

func TestCalendarFollowsRFC5545(t *testing.T) {
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	o := &Opportunity{ID: uuid.MustParse("0193a4f4-8d3c-7b1e-9f0a-2c4d6e8f0a1b"), Title: "Listening event; harm, healing & learning",
		Summary: strings.Repeat("A long summary with commas, semicolons; and more. ", 4), OrganiserName: `HPA "team"`, StartsAt: &start, Online: true, Status: StatusPublished}
	out := string(calendar("HPA events", "https://hpa.example", []*Opportunity{o}, start))
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "DTSTART:20261201T180000Z\r\n", "DTEND:20261201T190000Z\r\n",
		`SUMMARY:Listening event\; harm\, healing & learning`, "LOCATION:Online\r\n", `ORGANIZER;CN="HPA team":mailto:`, "END:VCALENDAR\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("calendar lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\r\n") {
		if len(line) > 75 {
			t.Errorf("line longer than 75 octets: %q", line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("bare newline inside a line: %q", line)
		}
	}
}
