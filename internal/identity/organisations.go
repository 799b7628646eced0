package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Organisation is a partner organisation that holds API keys.
type Organisation struct {
	ID      uuid.UUID
	Name    string
	Website string
	// ContactEmail is who HPA writes to about the organisation's
	// integration (such as a disabled webhook endpoint); "" if none.
	ContactEmail string
	CreatedAt    time.Time
}

func organisationFromRow(r store.Organisation) *Organisation {
	o := &Organisation{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
	o.Website, o.ContactEmail = store.Text(r.Website), store.Text(r.ContactEmail)
	return o
}

// CreateOrganisation registers a partner organisation; website and
// contactEmail may be "".
func (s *Service) CreateOrganisation(ctx context.Context, name, website, contactEmail string) (*Organisation, error) {
	var out *Organisation
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		row, err := store.Q.OrganisationInsert(ctx, tx, store.OrganisationInsertParams{Name: name, Website: store.NullText(website), ContactEmail: store.NullText(contactEmail)})
		if store.IsUniqueViolation(err, "organisations_name_key") {
			return hpa.Errorf(hpa.ECONFLICT, "an organisation with that name already exists").WithReason(ReasonNameTaken)
		}
		if err != nil {
			return fmt.Errorf("create organisation: %w", err)
		}
		out = organisationFromRow(row)
		return audit.Record(ctx, tx, audit.Event{Action: "organisation.create", TargetType: "organisation", TargetID: row.ID.String()})
	})
	return out, err
}

// GetOrganisation returns one organisation.
func (s *Service) GetOrganisation(ctx context.Context, id uuid.UUID) (*Organisation, error) {
	row, err := store.Q.OrganisationGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no organisation with that ID")
	}
	if err != nil {
		return nil, fmt.Errorf("get organisation: %w", err)
	}
	return organisationFromRow(row), nil
}

// OrganisationContact returns an organisation's name and contact address
// ("" if none), for the webhooks' notices.
func (s *Service) OrganisationContact(ctx context.Context, id uuid.UUID) (name, email string, err error) {
	o, err := s.GetOrganisation(ctx, id)
	if err != nil {
		return "", "", err
	}
	return o.Name, o.ContactEmail, nil
}

// ListOrganisations returns every organisation.
func (s *Service) ListOrganisations(ctx context.Context) ([]*Organisation, error) {
	rows, err := store.Q.OrganisationList(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	out := make([]*Organisation, len(rows))
	for i, r := range rows {
		out[i] = organisationFromRow(r)
	}
	return out, nil
}
