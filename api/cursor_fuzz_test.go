package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/harmedpatients/hpa/internal/content"
	"github.com/harmedpatients/hpa/internal/donations"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// cursorTargets make each kind of value a list decodes its ?cursor= into.
var cursorTargets = []func() any{
	func() any { return &memberCursor{} },
	func() any { return &opportunityCursor{} },
	func() any { return &searchCursor{} },
	func() any { return &content.PageCursor{} },
	func() any { return &content.ListingCursor{} },
	func() any { return &content.EnquiryCursor{} },
	func() any { var p *donations.DonorCursor; return &p },
	func() any { var p *donations.ReportCursor; return &p },
	func() any { return new(donations.Cursor) },
	func() any { var p *giftaid.Cursor; return &p },
	func() any { return new(int64) },
	func() any { return new(int32) },
	func() any { return new(int) },
}

// FuzzDecodeCursor feeds every list's cursor decoding any ?cursor= at all:
// no panic, and a cursor it refuses is a 422 naming query.cursor, never an
// error that would be a 500. What it accepts re-encodes to JSON holding
// only storable text. Seeds: testdata/fuzz/FuzzDecodeCursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, target := range cursorTargets {
			v := target()
			err := decodeCursor(cursor, v)
			if err != nil {
				var de *hpa.Error
				if !errors.As(err, &de) || len(de.Fields) != 1 || de.Fields[0].Location != "query.cursor" {
					t.Fatalf("%T: refused with %v", v, err)
				}
				if p := problemFor(http.StatusInternalServerError, "", err); p.Status != http.StatusUnprocessableEntity {
					t.Fatalf("%T: refused with a %d", v, p.Status)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: decoded %#v does not encode again: %v", v, v, err)
			}
			if faults := jsonTextFaults(b); len(faults) > 0 {
				t.Fatalf("%T: decoded text that cannot be stored: %v", v, faults)
			}
		}
	})
}
