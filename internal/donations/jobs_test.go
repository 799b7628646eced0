package donations

import (
	"testing"
	"time"
)

func TestNightlyScheduleKeepsUKWallClock(t *testing.T) {
	n := nightly{3, 30}
	for _, c := range []struct{ now, want string }{
		{"2026-01-10T01:00:00Z", "2026-01-10T03:30:00Z"}, // GMT
		{"2026-01-10T04:00:00Z", "2026-01-11T03:30:00Z"},
		{"2026-07-10T01:00:00Z", "2026-07-10T02:30:00Z"}, // BST: 03:30 in London is 02:30 UTC
		{"2026-03-28T12:00:00Z", "2026-03-29T02:30:00Z"}, // the night clocks go forward
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := n.Next(now).UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, c.want)
		}
	}
	now, _ := time.Parse(time.RFC3339, "2026-07-10T00:30:00Z") // 01:30 BST on 10 July
	start, end := Yesterday(now)
	if start.Format(time.RFC3339) != "2026-07-09T00:00:00+01:00" || end.Sub(start) != 24*time.Hour {
		t.Errorf("Yesterday = %s .. %s", start, end)
	}
}
