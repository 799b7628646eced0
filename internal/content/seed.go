package content

import (
	"context"
	"fmt"

	"github.com/harmedpatients/hpa/internal/store"
)

// Organisation names the seed text leaves implicit.
const (
	organisationName      = "Harmed Patients Alliance"
	organisationShortName = "HPA"
)

// SeedReport says what Seed added; zero means everything was already there.
type SeedReport struct {
	SiteProfile int64
}

// Seed fills an empty database with the charity's own text. It only ever
// inserts what is missing, so running it again, or after editors have
// changed the content, changes nothing.
func Seed(ctx context.Context, db store.DBTX, text *SeedText, contactEmail string) (SeedReport, error) {
	var email *string
	if contactEmail != "" {
		email = &contactEmail
	}
	n, err := store.Q.SiteProfileInsertIfMissing(ctx, db, store.SiteProfileInsertIfMissingParams{
		Name:             organisationName,
		ShortName:        organisationShortName,
		Tagline:          text.Tagline,
		MissionStatement: text.Mission,
		Description:      text.About[0],
		ContactEmail:     email,
	})
	if err != nil {
		return SeedReport{}, fmt.Errorf("seed site profile: %w", err)
	}
	return SeedReport{SiteProfile: n}, nil
}
