package hpa

import (
	"time"
	_ "time/tzdata" // the UK calendar must not depend on the host's zoneinfo
)

// London is the UK's time zone, the charity's calendar: the days of
// digests, Gift Aid and visit statistics (unless configured otherwise).
var London = mustLoadLocation("Europe/London")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
