package giftaid

import (
	"time"
	_ "time/tzdata" // the UK calendar must not depend on the host's zoneinfo
)

// London is the time zone of HMRC's dates.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
