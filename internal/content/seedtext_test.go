package content

import (
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/db"
)

func TestParseSeedTextKeepsTheCharitysWording(t *testing.T) {
	s, err := ParseSeedText(db.SiteText)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tagline != "Restorative Healing after Healthcare Harm" {
		t.Errorf("tagline = %q", s.Tagline)
	}
	if !strings.HasPrefix(s.Mission, "To work collaboratively towards a future") || strings.ContainsAny(s.Mission, "“”") {
		t.Errorf("mission = %q", s.Mission)
	}
	if !strings.HasSuffix(s.Mission, "where preventable compounded harm is eliminated.") {
		t.Errorf("mission ends %q", s.Mission[len(s.Mission)-40:])
	}
	if len(s.About) != 4 || !strings.HasPrefix(s.About[0], "We are a group working to increase understanding of the experience") {
		t.Errorf("about = %d paragraphs, first %q", len(s.About), s.About[0])
	}
	if !strings.Contains(s.Audiences, "Royal College, Patient advocacy provider") {
		t.Errorf("audiences = %q", s.Audiences)
	}
	if !strings.HasPrefix(s.Join, "By signing up as a member of HPA") || !strings.HasPrefix(s.Donate, "Donations we receive") {
		t.Errorf("join = %q, donate = %q", s.Join, s.Donate)
	}
	wantNames := []string{"Harmed patient/family", "Healthcare professional", "NHS leader", "Policy maker", "Regulator", "Royal College",
		"Patient advocacy provider", "Charity", "Research Team", "Legal Professional", "Anyone else"}
	if strings.Join(s.AudienceNames, "|") != strings.Join(wantNames, "|") {
		t.Errorf("audience names = %q", s.AudienceNames)
	}
	wantQuestions := []string{"Who has been affected?", "What do they need now?", "Who has what obligations in relation to those needs?"}
	if strings.Join(s.Questions, "|") != strings.Join(wantQuestions, "|") {
		t.Errorf("questions = %q", s.Questions)
	}
	if !strings.HasPrefix(s.GetInTouch, "Get in touch if you would like to know more") || !strings.HasSuffix(s.GetInTouch, "initiatives aimed at this goal.") {
		t.Errorf("get in touch = %q", s.GetInTouch)
	}
	if s.VisitBaseline != 58325 {
		t.Errorf("visit baseline = %d", s.VisitBaseline)
	}
	// Every word of the source survives, in order.
	var got []string
	got = append(got, s.Tagline, "Our Mission", s.Mission)
	got = append(got, s.About...)
	got = append(got, s.Audiences, "Join us as a member:", s.Join, "Help fund our work:", s.Donate, "Total Website Visits: 58325")
	want := strings.Fields(strings.NewReplacer("\u00a0", " ", "“", "", "”", "").Replace(db.SiteText))
	if g := strings.Fields(strings.Join(got, " ")); strings.Join(g, " ") != strings.Join(want, " ") {
		t.Errorf("words differ from the source text")
	}
}

func TestParseSeedTextRejectsAnUnexpectedShape(t *testing.T) {
	for _, text := range []string{"", "Title\n\nNot the mission\n\nx", "T\n\nOur Mission\n\n“m”\n\nabout"} {
		if _, err := ParseSeedText(text); err == nil {
			t.Errorf("ParseSeedText(%q) succeeded", text)
		}
	}
}
