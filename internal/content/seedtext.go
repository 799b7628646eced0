package content

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SeedText is the charity's site text split into its parts. Wording is kept
// exactly; only whitespace is normalised (non-breaking and repeated spaces
// become one space, lines are trimmed).
type SeedText struct {
	Tagline string
	// Mission is the mission statement without its surrounding quotes.
	Mission string
	// About holds the paragraphs that explain who HPA is and what it believes.
	About []string
	// Audiences is the paragraph that speaks to each audience in turn.
	Audiences string
	// AudienceNames are the audiences that paragraph names, in its order,
	// ending with "Anyone else".
	AudienceNames []string
	// GetInTouch is the sentence of that paragraph inviting contact.
	GetInTouch string
	// Questions are the three restorative questions, each as its own
	// sentence (first letter capitalised).
	Questions []string
	// Join and Donate are the calls to action, without their labels.
	Join   string
	Donate string
	// VisitBaseline is the historic "Total Website Visits" figure.
	VisitBaseline int64
}

// ParseSeedText splits the seed file into its parts. It fails loudly if the
// file no longer has the shape it expects, rather than seeding half a site.
func ParseSeedText(text string) (*SeedText, error) {
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = normaliseSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	if len(paras) < 6 || paras[1] != "Our Mission" {
		return nil, fmt.Errorf("seed text: expected a title, then \"Our Mission\", then the mission")
	}
	s := &SeedText{
		Tagline: paras[0],
		Mission: strings.Trim(paras[2], "“”\" "),
	}
	for _, p := range paras[3:] {
		switch {
		case strings.HasPrefix(p, "Join us as a member:"):
			s.Join = strings.TrimSpace(strings.TrimPrefix(p, "Join us as a member:"))
		case strings.HasPrefix(p, "Help fund our work:"):
			s.Donate = strings.TrimSpace(strings.TrimPrefix(p, "Help fund our work:"))
		case strings.HasPrefix(p, "Total Website Visits:"):
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(p, "Total Website Visits:")), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("seed text: visit total: %w", err)
			}
			s.VisitBaseline = n
		case strings.HasPrefix(p, "Whether you are"):
			s.Audiences = p
		default:
			s.About = append(s.About, p)
		}
	}
	if s.Join == "" || s.Donate == "" || s.Audiences == "" || len(s.About) == 0 || s.VisitBaseline == 0 {
		return nil, fmt.Errorf("seed text: missing one of the about, audiences, join, donate or visit-total sections")
	}
	var err error
	if s.AudienceNames, s.GetInTouch, err = parseAudiences(s.Audiences); err != nil {
		return nil, err
	}
	for _, p := range s.About {
		if m := questionsPattern.FindStringSubmatch(p); m != nil {
			for _, q := range m[1:] {
				s.Questions = append(s.Questions, strings.ToUpper(q[:1])+q[1:])
			}
		}
	}
	if len(s.Questions) != 3 {
		return nil, fmt.Errorf("seed text: the three restorative questions were not found")
	}
	return s, nil
}

// questionsPattern finds the restorative questions in the running text
// ("Who has been affected?, what do they need now?, and who has what
// obligations in relation to those needs?").
var questionsPattern = regexp.MustCompile(`(Who has been affected\?),? (what do they need now\?),? and (who has what obligations in relation to those needs\?)`)

// parseAudiences reads the audiences the paragraph names ("Whether you are
// a A, B, …, or anyone else who …") and its "Get in touch …" sentence.
func parseAudiences(p string) (names []string, getInTouch string, err error) {
	list, ok := strings.CutPrefix(p, "Whether you are a ")
	if ok {
		list, _, ok = strings.Cut(list, ", or anyone else")
	}
	if !ok {
		return nil, "", fmt.Errorf("seed text: the audiences paragraph no longer lists audiences as expected")
	}
	for _, name := range strings.Split(list, ", ") {
		names = append(names, strings.TrimSpace(name))
	}
	names = append(names, "Anyone else")
	_, rest, ok := strings.Cut(p, "Get in touch ")
	if !ok {
		return nil, "", fmt.Errorf("seed text: the audiences paragraph has no \"Get in touch\" sentence")
	}
	sentence, _, _ := strings.Cut(rest, ". ")
	return names, "Get in touch " + strings.TrimSuffix(sentence, ".") + ".", nil
}

// normaliseSpace joins a paragraph's lines and collapses runs of spaces,
// including the non-breaking spaces the source text carries.
func normaliseSpace(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	return strings.Join(strings.Fields(s), " ")
}
