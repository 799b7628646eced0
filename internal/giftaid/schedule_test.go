package giftaid

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func day(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

func ptr[T any](v T) *T { return &v }

// march is the commonest accounting year end, 31 March.
var march = YearEnd{Month: time.March, Day: 31}

// The CSV must match HMRC's Charities Online schedule: its columns in
// order, dates DD/MM/YY, amounts like 200.00 without £, donor details
// blank on aggregated lines, lines of at most £1,000.
func TestScheduleCSVMatchesHMRCLayout(t *testing.T) {
	alice, bob := ptr(uuid.New()), ptr(uuid.New())
	person := Person{Title: "Dr", FirstName: "Alice", LastName: "House-Martin", HouseNameOrNumber: "12", Postcode: "S19 2BD"}
	gifts := []Gift{
		{DonationID: uuid.New(), DonorID: alice, DeclarationID: uuid.New(), Person: person, AmountPence: 25000, Date: day("2026-04-06")},
		{DonationID: uuid.New(), DonorID: bob, DeclarationID: uuid.New(), Person: Person{FirstName: "B", LastName: "Jones", HouseNameOrNumber: "Rose Cottage", Postcode: "X"}, AmountPence: 1500, Date: day("2026-05-01")},
		{DonationID: uuid.New(), DonorID: alice, DeclarationID: uuid.New(), Person: person, AmountPence: 2000, Date: day("2026-05-03")},
		{DonationID: uuid.New(), DonorID: bob, DeclarationID: uuid.New(), AmountPence: 1000, Date: day("2026-05-20")},
	}
	s := BuildSchedule(gifts, 2000, march)
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Title", "First name", "Last name", "House name or number", "Postcode", "Aggregated donations", "Sponsored event", "Donation date", "Amount"},
		{"Dr", "Alice", "House Martin", "12", "S19 2BD", "", "", "06/04/26", "250.00"},
		// Bob's two small gifts cannot share a line; Alice's £20 joins the first.
		{"", "", "", "", "", "Small donations 1 of 2", "", "03/05/26", "35.00"},
		{"", "", "", "", "", "Small donations 2 of 2", "", "20/05/26", "10.00"},
	}
	if len(records) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(records), len(want), buf.String())
	}
	date, amount := regexp.MustCompile(`^\d{2}/\d{2}/\d{2}$`), regexp.MustCompile(`^\d+\.\d{2}$`)
	for i := range want {
		if strings.Join(records[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d:\n got %q\nwant %q", i, records[i], want[i])
		}
		if i > 0 && (!date.MatchString(records[i][7]) || !amount.MatchString(records[i][8]) || len(records[i][5]) > 35 || len(records[i][0]) > 4) {
			t.Errorf("line %d breaks HMRC formats: %q", i, records[i])
		}
	}
	if s.TotalPence != 29500 || s.GiftAidPence != 7375 || s.Donations != 4 || !s.Earliest.Equal(day("2026-04-06")) {
		t.Errorf("totals: %+v", s)
	}
}

func TestAggregatedLinesNeverExceedOneThousandPounds(t *testing.T) {
	var gifts []Gift
	for range 120 {
		gifts = append(gifts, Gift{DonationID: uuid.New(), DonorID: ptr(uuid.New()), AmountPence: 2000, Date: day("2026-06-01")})
	}
	s := BuildSchedule(gifts, 2000, march)
	if len(s.Rows) != 3 {
		t.Fatalf("120 × £20 should fill 3 lines (1000, 1000, 400), got %d", len(s.Rows))
	}
	for _, r := range s.Rows {
		if r.AmountPence > 100_000 || r.Person != (Person{}) {
			t.Errorf("aggregated line %+v", r)
		}
	}
	if none := BuildSchedule(gifts, 0, march); len(none.Rows) != 120 {
		t.Errorf("aggregation off: %d lines", len(none.Rows))
	}
}

// HMRC: only gifts of one accounting period may be added up on a line.
func TestAggregatedLinesKeepToOneAccountingPeriod(t *testing.T) {
	gifts := []Gift{
		{DonationID: uuid.New(), DonorID: ptr(uuid.New()), AmountPence: 1000, Date: day("2026-03-31")},
		{DonationID: uuid.New(), DonorID: ptr(uuid.New()), AmountPence: 1000, Date: day("2026-04-01")},
		{DonationID: uuid.New(), DonorID: ptr(uuid.New()), AmountPence: 1000, Date: day("2026-04-02")},
	}
	s := BuildSchedule(gifts, 2000, march)
	if len(s.Rows) != 2 || len(s.Rows[0].DonationIDs) != 1 || len(s.Rows[1].DonationIDs) != 2 || !s.Rows[0].Date.Equal(day("2026-03-31")) {
		t.Fatalf("lines across the year end: %+v", s.Rows)
	}
	if s := BuildSchedule(gifts, 2000, YearEnd{Month: time.December, Day: 31}); len(s.Rows) != 1 {
		t.Errorf("one calendar-year period: %+v", s.Rows)
	}
}

func TestDeclarationValidation(t *testing.T) {
	valid := func() NewDeclaration {
		return NewDeclaration{Person: Person{Title: "Ms", FirstName: "Ann", LastName: "Lee", HouseNameOrNumber: "4", Postcode: "sw1a1aa"},
			Scope: ScopeThisAndFuture, Method: MethodOnline, WordingVersion: CurrentWordingVersion, UKTaxpayer: true}
	}
	d := valid()
	if err := d.Validate("body"); err != nil || d.Postcode != "SW1A 1AA" {
		t.Fatalf("valid declaration: %v, postcode %q", err, d.Postcode)
	}
	for name, mutate := range map[string]func(*NewDeclaration){
		"no first name":    func(d *NewDeclaration) { d.FirstName = " " },
		"no last name":     func(d *NewDeclaration) { d.LastName = "" },
		"no house":         func(d *NewDeclaration) { d.HouseNameOrNumber = "" },
		"bad postcode":     func(d *NewDeclaration) { d.Postcode = "12345" },
		"long title":       func(d *NewDeclaration) { d.Title = "Professor" },
		"not a taxpayer":   func(d *NewDeclaration) { d.UKTaxpayer = false },
		"unknown wording":  func(d *NewDeclaration) { d.WordingVersion = "v0" },
		"unknown scope":    func(d *NewDeclaration) { d.Scope = "forever" },
		"recorded writing": func(d *NewDeclaration) { d.RecordingReference = "call 1" },
		"formula":          func(d *NewDeclaration) { d.LastName = "=HYPERLINK(1)" },
	} {
		d := valid()
		mutate(&d)
		if err := d.Validate("body"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	nonUK := valid()
	nonUK.Postcode = "x"
	if err := nonUK.Validate("body"); err != nil || nonUK.Postcode != "X" {
		t.Errorf("non-UK donor: %v %q", err, nonUK.Postcode)
	}
}
