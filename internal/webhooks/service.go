package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// DefaultRetryDelays is the wait before each retry of a failed delivery:
// growing from seconds to hours, about three days in all (11 attempts).
var DefaultRetryDelays = []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 20 * time.Hour}

// Settings are the webhooks' tunables.
type Settings struct {
	// AllowPrivate lets endpoints use http and private, loopback or
	// link-local addresses: for development only (production refuses it).
	AllowPrivate bool
	// RetryDelays is the wait before each retry; after the last, a
	// delivery has failed for good.
	RetryDelays []time.Duration
	// Timeout bounds one attempt, from connecting to the last byte read.
	Timeout time.Duration
	// Concurrency is the most deliveries in flight to one endpoint.
	Concurrency int
	// NotifyTo is told when an endpoint without an organisation contact
	// (HPA's own, or a partner that gave none) is disabled.
	NotifyTo []string
}

// Organisations finds who to tell about an organisation's endpoints.
type Organisations interface {
	// OrganisationContact returns the organisation's name and contact
	// address ("" if it gave none).
	OrganisationContact(ctx context.Context, id uuid.UUID) (name, email string, err error)
}

// Deps are what the webhooks use besides the database.
type Deps struct {
	// Work is the workers' pool: deliveries never take the connections
	// requests use (nil: the same as the requests').
	Work store.DB
	// Jobs queues fan-outs and deliveries; AddWorkers works them.
	Jobs *jobs.Client
	// Ring seals endpoints' secrets; Hasher keys their lookups.
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
	// Outbox tells organisations their endpoint was disabled.
	Outbox *mail.Outbox
	// Organisations finds who to tell (identity.Service is one).
	Organisations Organisations
}

// Service is outgoing webhooks.
type Service struct {
	db store.DB
	// work is the workers' pool.
	work     store.DB
	jobs     *jobs.Client
	ring     *sealed.Ring
	hasher   *sealed.Hasher
	outbox   *mail.Outbox
	orgs     Organisations
	settings Settings
	client   *http.Client
	now      func() time.Time
}

// NewService returns the webhooks service; its workers come from
// AddWorkers and its sweeper from PeriodicJobs.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	if settings.RetryDelays == nil {
		settings.RetryDelays = DefaultRetryDelays
	}
	if settings.Timeout == 0 {
		settings.Timeout = 10 * time.Second
	}
	if settings.Concurrency == 0 {
		settings.Concurrency = 16
	}
	work := deps.Work
	if work == nil {
		work = db
	}
	return &Service{db: db, work: work, jobs: deps.Jobs, ring: deps.Ring, hasher: deps.Hasher, outbox: deps.Outbox, orgs: deps.Organisations,
		settings: settings, client: newClient(settings.AllowPrivate, settings.Timeout, settings.Concurrency), now: now}
}

// Endpoint is a URL that receives events, without its secret.
type Endpoint struct {
	ID             uuid.UUID
	OrganisationID *uuid.UUID
	URL            string
	Description    string
	Events         []string
	Enabled        bool
	// DisabledReason is "manual" or "failing" when not Enabled.
	DisabledReason string
	// PreviousSecretExpiresAt, after a rotation, is when the previous
	// secret stops signing.
	PreviousSecretExpiresAt *time.Time
	FailingSince            *time.Time
	CreatedAt, UpdatedAt    time.Time
}

func (s *Service) endpointFromRow(r store.WebhookEndpoint) *Endpoint {
	e := &Endpoint{ID: r.ID, OrganisationID: r.OrganisationID, URL: r.Url, Description: r.Description, Events: r.Events, Enabled: r.Enabled,
		DisabledReason: store.Text(r.DisabledReason), FailingSince: r.FailingSince, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.PreviousSecretExpiresAt != nil && r.PreviousSecretExpiresAt.After(s.now()) {
		e.PreviousSecretExpiresAt = r.PreviousSecretExpiresAt
	}
	return e
}

// Owner says whose endpoints a caller manages: a partner's key its
// organisation's (Organisation set), an admin every endpoint.
type Owner struct {
	Organisation *uuid.UUID
}

func (o Owner) owns(r store.WebhookEndpoint) bool {
	return o.Organisation == nil || (r.OrganisationID != nil && *r.OrganisationID == *o.Organisation)
}

var errNoEndpoint = hpa.Errorf(hpa.ENOTFOUND, "no webhook endpoint with that ID")

// get returns an endpoint the owner manages; another organisation's does
// not exist for them.
func (s *Service) get(ctx context.Context, db store.DBTX, owner Owner, id uuid.UUID) (store.WebhookEndpoint, error) {
	row, err := store.Q.WebhookEndpointGet(ctx, db, id)
	if store.IsNotFound(err) || (err == nil && !owner.owns(row)) {
		return row, errNoEndpoint
	}
	if err != nil {
		return row, fmt.Errorf("webhook endpoint: %w", err)
	}
	return row, nil
}

// NewEndpoint is what a caller chooses when adding an endpoint.
type NewEndpoint struct {
	// OrganisationID is whose endpoint it is (nil: HPA's own); a partner's
	// key always adds its own organisation's.
	OrganisationID *uuid.UUID
	URL            string
	Description    string
	Events         []string
	Enabled        bool
}

func checkEvents(events []string) error {
	for _, e := range events {
		if !Subscribable(e) {
			return hpa.Invalid("body.events", "unknown event type "+e+" (see the contract's webhooks)")
		}
	}
	if len(events) == 0 {
		return hpa.Invalid("body.events", "must name at least one event type")
	}
	return nil
}

// Create adds an endpoint and returns it with its signing secret, which
// is shown this once.
func (s *Service) Create(ctx context.Context, owner Owner, in NewEndpoint) (*Endpoint, string, error) {
	if owner.Organisation != nil {
		in.OrganisationID = owner.Organisation
	}
	if err := checkURL(in.URL, s.settings.AllowPrivate); err != nil {
		return nil, "", err
	}
	if err := checkEvents(in.Events); err != nil {
		return nil, "", err
	}
	if owner.Organisation == nil && in.OrganisationID != nil {
		if _, _, err := s.orgs.OrganisationContact(ctx, *in.OrganisationID); hpa.ErrorCode(err) == hpa.ENOTFOUND {
			return nil, "", hpa.Invalid("body.organisation_id", "no organisation with that ID")
		} else if err != nil {
			return nil, "", err
		}
	}
	id, secret := uuid.New(), newSecret()
	var disabled *string
	if !in.Enabled {
		disabled = ptr("manual")
	}
	var out *Endpoint
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := store.Q.WebhookEndpointInsert(ctx, tx, store.WebhookEndpointInsertParams{ID: id, OrganisationID: in.OrganisationID, Url: in.URL,
			Description: in.Description, Events: slices.Compact(slices.Sorted(slices.Values(in.Events))), Enabled: in.Enabled, DisabledReason: disabled,
			SecretSealed: s.ring.SealString(secret, secretContext(id))})
		if err != nil {
			return fmt.Errorf("add webhook endpoint: %w", err)
		}
		out = s.endpointFromRow(row)
		return audit.Record(ctx, tx, audit.Event{Action: "webhook_endpoint.create", TargetType: "webhook_endpoint", TargetID: id.String()})
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// List returns the endpoints an owner manages (an admin may narrow them to
// one organisation, or to HPA's own with hpaOwn).
func (s *Service) List(ctx context.Context, owner Owner, organisationID *uuid.UUID, hpaOwn bool) ([]*Endpoint, error) {
	p := store.WebhookEndpointListParams{Every: owner.Organisation == nil && organisationID == nil && !hpaOwn, OrganisationID: organisationID}
	if owner.Organisation != nil {
		p.OrganisationID = owner.Organisation
	}
	rows, err := store.Q.WebhookEndpointList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := make([]*Endpoint, len(rows))
	for i, r := range rows {
		out[i] = s.endpointFromRow(r)
	}
	return out, nil
}

// Get returns one endpoint.
func (s *Service) Get(ctx context.Context, owner Owner, id uuid.UUID) (*Endpoint, error) {
	row, err := s.get(ctx, s.db, owner, id)
	if err != nil {
		return nil, err
	}
	return s.endpointFromRow(row), nil
}

// EndpointChange is a partial update; nil fields stay as they are.
type EndpointChange struct {
	URL, Description *string
	Events           []string
	// Enabled false disables the endpoint; true enables it again (also
	// after it was disabled for failing) and sends what is still pending.
	Enabled *bool
}

// Update changes an endpoint.
func (s *Service) Update(ctx context.Context, owner Owner, id uuid.UUID, c EndpointChange) (*Endpoint, error) {
	if c.URL != nil {
		if err := checkURL(*c.URL, s.settings.AllowPrivate); err != nil {
			return nil, err
		}
	}
	if c.Events != nil {
		if err := checkEvents(c.Events); err != nil {
			return nil, err
		}
	}
	var out *Endpoint
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.get(ctx, tx, owner, id)
		if err != nil {
			return err
		}
		p := store.WebhookEndpointUpdateParams{ID: id, Url: row.Url, Description: row.Description, Events: row.Events, Enabled: row.Enabled, DisabledReason: row.DisabledReason}
		if c.URL != nil {
			p.Url = *c.URL
		}
		if c.Description != nil {
			p.Description = *c.Description
		}
		if c.Events != nil {
			p.Events = slices.Compact(slices.Sorted(slices.Values(c.Events)))
		}
		if c.Enabled != nil && *c.Enabled != row.Enabled {
			p.Enabled, p.DisabledReason = *c.Enabled, nil
			if !*c.Enabled {
				p.DisabledReason = ptr("manual")
			}
		}
		row, err = store.Q.WebhookEndpointUpdate(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("update webhook endpoint: %w", err)
		}
		out = s.endpointFromRow(row)
		if row.Enabled {
			if err := s.kick(ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook_endpoint.update", TargetType: "webhook_endpoint", TargetID: id.String()})
	})
	return out, err
}

// Delete removes an endpoint with its delivery log.
func (s *Service) Delete(ctx context.Context, owner Owner, id uuid.UUID) error {
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := s.get(ctx, tx, owner, id); err != nil {
			return err
		}
		if _, err := store.Q.WebhookEndpointDelete(ctx, tx, id); err != nil {
			return fmt.Errorf("delete webhook endpoint: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook_endpoint.delete", TargetType: "webhook_endpoint", TargetID: id.String()})
	})
}

// MaxOverlap is the longest a previous secret may go on signing.
const MaxOverlap = 7 * 24 * time.Hour

// RotateSecret gives an endpoint a new secret, shown this once. For
// overlap the previous secret goes on signing too (every delivery carries
// a signature by each), so the receiver can switch at its own pace.
func (s *Service) RotateSecret(ctx context.Context, owner Owner, id uuid.UUID, overlap time.Duration) (*Endpoint, string, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return nil, "", hpa.Invalid("body.overlap_seconds", "must be between 0 and 604800 (seven days)")
	}
	secret := newSecret()
	var out *Endpoint
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.get(ctx, tx, owner, id)
		if err != nil {
			return err
		}
		p := store.WebhookEndpointRotateParams{ID: id, SecretSealed: s.ring.SealString(secret, secretContext(id))}
		if overlap > 0 {
			p.PreviousSecretSealed, p.PreviousSecretExpiresAt = row.SecretSealed, ptr(s.now().Add(overlap))
		}
		row, err = store.Q.WebhookEndpointRotate(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("rotate webhook secret: %w", err)
		}
		out = s.endpointFromRow(row)
		return audit.Record(ctx, tx, audit.Event{Action: "webhook_endpoint.rotate_secret", TargetType: "webhook_endpoint", TargetID: id.String()})
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

// SendTest sends the endpoint a webhook.test event (even if it subscribes
// to nothing else) and returns the event's message ID.
func (s *Service) SendTest(ctx context.Context, owner Owner, id uuid.UUID) (string, error) {
	var msg string
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.get(ctx, tx, owner, id)
		if err != nil {
			return err
		}
		if !row.Enabled {
			return hpa.Errorf(hpa.ECONFLICT, "this endpoint is disabled; enable it first").WithReason(ReasonEndpointDisabled)
		}
		eventID, _, err := s.emit(ctx, tx, Event{Type: TypeTest, OrganisationID: row.OrganisationID, endpoint: &id,
			Data: TestEvent{EndpointID: id.String(), Message: "A test event from HPA: if you can read this, your endpoint works."}})
		if err != nil {
			return err
		}
		msg = MessageID(eventID)
		return nil
	})
	return msg, err
}

// secretContext binds a sealed secret to its endpoint.
func secretContext(id uuid.UUID) string { return "webhook_endpoints.secret:" + id.String() }

// newSecret is a Standard Webhooks secret: whsec_ and 24 random bytes in
// base64.
func newSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }
