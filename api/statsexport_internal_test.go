package api

import "testing"

// A saved funnel's file in the export stays in the zip's top folder,
// whatever its name.
func TestFunnelFileNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"Donate journey":         "funnel-donate-journey.csv",
		"../../etc/passwd":       "funnel-etc-passwd.csv",
		"Join → thanks (mobile)": "funnel-join-thanks-mobile.csv",
		"Dons à l'été":           "funnel-dons-l-t.csv",
		"→ £ ←":                  "",
		"a\x00b/c\\d":            "funnel-a-b-c-d.csv",
	} {
		if got := funnelFileName(name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}
