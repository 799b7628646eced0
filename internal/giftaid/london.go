package giftaid

import "github.com/harmedpatients/hpa/internal/hpa"

// London is the time zone of HMRC's dates.
var London = hpa.London
