package members

import (
	"bytes"
	"errors"
	"testing"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// FuzzImportCSV feeds the members import any file at all. It must never
// panic; it may refuse the file only with a validation error (a 422, not a
// 500); and every row it would import must hold only text the database
// can store, so the import cannot fail half-way on a row it accepted.
// Seeds: testdata/fuzz/FuzzImportCSV.
func FuzzImportCSV(f *testing.F) {
	s := &Service{}
	f.Fuzz(func(t *testing.T, file []byte) {
		signups, report, err := s.parseImport(bytes.NewReader(file))
		if err != nil {
			var de *hpa.Error
			if !errors.As(err, &de) || de.Code != hpa.EINVALID {
				t.Fatalf("refused with %v, which would be a 500", err)
			}
			return
		}
		if len(signups) != report.Rows {
			t.Fatalf("%d rows reported, %d parsed", report.Rows, len(signups))
		}
		for i, in := range signups {
			if in.Email == "" {
				continue // reported, not imported
			}
			p := in.Profile
			texts := append([]string{in.Email, in.ConsentVersion, p.Name, p.Organisation, p.RoleTitle, p.Region, p.EmailFrequency}, p.Audiences...)
			for _, text := range append(texts, p.Interests...) {
				if fault := hpa.TextFault(text); fault != "" {
					t.Fatalf("row %d would be imported with text that %s: %q", i+2, fault, text)
				}
			}
		}
	})
}
