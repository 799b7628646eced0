package content

import (
	"fmt"
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
	return s, nil
}

// normaliseSpace joins a paragraph's lines and collapses runs of spaces,
// including the non-breaking spaces the source text carries.
func normaliseSpace(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	return strings.Join(strings.Fields(s), " ")
}
