package giftaid

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Settings are the charity's Gift Aid settings.
type Settings struct {
	// AggregateMaxPence is the largest gift HMRC lets a claim add up with
	// others on one line; 0 turns aggregation off.
	AggregateMaxPence int64
	// AccountingYearEnd bounds the accounting periods: the four-year time
	// limit runs from a period's end, and no line adds up two periods.
	AccountingYearEnd YearEnd
	// SmallDonationMaxPence is the largest gift the Gift Aid Small
	// Donations Scheme takes.
	SmallDonationMaxPence int64
	// SmallDonationsAnnualLimitPence is the most small donations one tax
	// year's claims may take.
	SmallDonationsAnnualLimitPence int64
}

// Service keeps declarations and makes claims.
type Service struct {
	db       store.DB
	ring     *sealed.Ring
	now      func() time.Time
	settings Settings
}

// Deps are what Gift Aid works with besides the database.
type Deps struct {
	// Ring seals declarations' personal details.
	Ring *sealed.Ring
}

// NewService returns the Gift Aid capability on db.
func NewService(db store.DB, deps Deps, settings Settings, now func() time.Time) *Service {
	return &Service{db: db, ring: deps.Ring, settings: settings, now: now}
}

// SmallDonationMaxPence is the largest gift the Gift Aid Small Donations
// Scheme takes.
func (s *Service) SmallDonationMaxPence() int64 { return s.settings.SmallDonationMaxPence }

// today is the UK date now.
func (s *Service) today() time.Time { return dateOf(s.now()) }

// Create records a declaration staff took (oral or written, or online on
// the donor's behalf), audit-logged.
func (s *Service) Create(ctx context.Context, nd NewDeclaration) (*Declaration, error) {
	if err := nd.Validate("body"); err != nil {
		return nil, err
	}
	var d *Declaration
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if nd.DonorID != nil {
			if d, err := store.Q.DonorGet(ctx, tx, *nd.DonorID); store.IsNotFound(err) {
				return hpa.Invalid("body.donor_id", "no donor has this ID")
			} else if err != nil {
				return err
			} else if d.MergedInto != nil {
				return hpa.Invalid("body.donor_id", fmt.Sprintf("this donor record was merged into donor %s; use that one", *d.MergedInto)).WithReason(ReasonDonorMerged)
			}
		}
		row, err := s.insert(ctx, tx, nd)
		if err != nil {
			return err
		}
		if d, err = s.open(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.declaration_create", TargetType: "gift_aid_declaration", TargetID: row.ID.String(),
			Details: map[string]any{"scope": string(nd.Scope), "method": string(nd.Method)}})
	})
	return d, err
}

// CreateTx records a validated declaration inside tx (a payment's
// webhook transaction) and returns its ID.
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, nd NewDeclaration) (uuid.UUID, error) {
	row, err := s.insert(ctx, tx, nd)
	if err != nil {
		return uuid.Nil, err
	}
	return row.ID, nil
}

func (s *Service) insert(ctx context.Context, tx pgx.Tx, nd NewDeclaration) (store.GiftAidDeclaration, error) {
	id := uuid.New()
	personal, err := json.Marshal(nd.Person)
	if err != nil {
		return store.GiftAidDeclaration{}, err
	}
	box := s.ring.Seal(personal, declarationContext(id))
	keyID := sealed.KeyID(box)
	wording, _ := Wording(nd.WordingVersion, nd.Scope)
	declared := nd.DeclaredOn
	if declared.IsZero() {
		declared = s.now()
	}
	declaredOn := dateOf(declared)
	row, err := store.Q.DeclarationInsert(ctx, tx, store.DeclarationInsertParams{
		ID: id, DonorID: nd.DonorID, MemberID: nd.MemberID, KeyID: keyID, PersonalSealed: box, UkPostcode: nd.Postcode != NonUKPostcode,
		Scope: string(nd.Scope), Method: string(nd.Method), WordingVersion: nd.WordingVersion, Wording: wording,
		DeclaredOn: declaredOn, ConfirmationSentOn: nd.ConfirmationSentOn, RecordingReference: store.NullText(nd.RecordingReference),
		RecordedBy: nd.RecordedBy, RetainUntil: retainFrom(declaredOn),
	})
	if err != nil {
		return store.GiftAidDeclaration{}, fmt.Errorf("insert Gift Aid declaration: %w", err)
	}
	return row, nil
}

// SealPending seals a declaration made at checkout, before the payment
// exists, bound to the checkout's ID. It returns the sealing key's ID and
// the sealed value. OpenPending reverses it.
func (s *Service) SealPending(nd NewDeclaration, checkoutID uuid.UUID) (keyID string, box []byte, err error) {
	b, err := json.Marshal(pending{Person: nd.Person, Scope: nd.Scope, Method: nd.Method, WordingVersion: nd.WordingVersion, UKTaxpayer: nd.UKTaxpayer, DeclaredOn: nd.DeclaredOn})
	if err != nil {
		return "", nil, err
	}
	box = s.ring.Seal(b, pendingContext(checkoutID))
	return sealed.KeyID(box), box, nil
}

// OpenPending opens what SealPending sealed.
func (s *Service) OpenPending(box []byte, checkoutID uuid.UUID) (NewDeclaration, error) {
	b, err := s.ring.Open(box, pendingContext(checkoutID))
	if err != nil {
		return NewDeclaration{}, fmt.Errorf("open checkout %s Gift Aid details: %w", checkoutID, err)
	}
	var p pending
	if err := json.Unmarshal(b, &p); err != nil {
		return NewDeclaration{}, err
	}
	return NewDeclaration{Person: p.Person, Scope: p.Scope, Method: p.Method, WordingVersion: p.WordingVersion, UKTaxpayer: p.UKTaxpayer, DeclaredOn: p.DeclaredOn}, nil
}

type pending struct {
	Person
	Scope          Scope     `json:"scope"`
	Method         Method    `json:"method"`
	WordingVersion string    `json:"wording_version"`
	UKTaxpayer     bool      `json:"uk_taxpayer"`
	DeclaredOn     time.Time `json:"declared_on"`
}

// Get returns a declaration, opened, audit-logged.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Declaration, error) {
	row, err := store.Q.DeclarationGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no Gift Aid declaration has this ID")
	}
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.declaration_read", TargetType: "gift_aid_declaration", TargetID: id.String()}); err != nil {
		return nil, err
	}
	return s.open(row)
}

// List returns declarations newest first, optionally one donor's.
func (s *Service) List(ctx context.Context, donorID *uuid.UUID, before *Cursor, limit int) ([]*Declaration, error) {
	p := store.DeclarationListParams{DonorID: donorID, PageSize: int32(limit)}
	if before != nil {
		p.BeforeCreated, p.BeforeID = &before.CreatedAt, &before.ID
	}
	rows, err := store.Q.DeclarationList(ctx, s.db, p)
	if err != nil {
		return nil, fmt.Errorf("list declaration: %w", err)
	}
	details := map[string]any{"count": len(rows)}
	if donorID != nil {
		details["donor_id"] = donorID.String()
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.declaration_list", TargetType: "gift_aid_declaration", Details: details}); err != nil {
		return nil, err
	}
	return s.openAll(rows)
}

func (s *Service) openAll(rows []store.GiftAidDeclaration) ([]*Declaration, error) {
	out := make([]*Declaration, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = s.open(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Cursor is a position in a list ordered by creation, newest first.
type Cursor struct {
	CreatedAt time.Time `json:"c"`
	ID        uuid.UUID `json:"i"`
}

// MoveDonorTx moves donor from's declarations to donor to inside tx, when
// a treasurer merges two donor records that are one person, and returns
// how many moved.
func (s *Service) MoveDonorTx(ctx context.Context, tx pgx.Tx, from, to uuid.UUID) (int64, error) {
	n, err := store.Q.DeclarationMoveDonor(ctx, tx, store.DeclarationMoveDonorParams{FromDonor: &from, ToDonor: &to})
	if err != nil {
		return 0, fmt.Errorf("move Gift Aid declarations: %w", err)
	}
	return n, nil
}

// Cancel ends a declaration for gifts made from now on. Gifts made before
// stay claimable, and the record is kept six years; but an oral
// declaration cancelled before, or within 30 days of, its written record
// being sent is cancelled from the start, as HMRC has it.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (*Declaration, error) {
	var d *Declaration
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		now := s.now()
		current, err := store.Q.DeclarationGetForUpdate(ctx, tx, id)
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no Gift Aid declaration has this ID")
		}
		if err != nil {
			return err
		}
		retrospective := withinOralWindow(current, dateOf(now))
		row, err := store.Q.DeclarationCancel(ctx, tx, store.DeclarationCancelParams{ID: id, CancelledAt: &now, Retrospective: retrospective})
		if store.IsNotFound(err) {
			return hpa.Errorf(hpa.ECONFLICT, "this declaration is already cancelled").WithReason(ReasonDeclarationAlreadyCancelled)
		}
		if err != nil {
			return err
		}
		if err := store.Q.DeclarationRetainUntil(ctx, tx, store.DeclarationRetainUntilParams{Ids: []uuid.UUID{id}, RetainUntil: retainFrom(now)}); err != nil {
			return err
		}
		row.RetainUntil = maxTime(row.RetainUntil, retainFrom(now))
		if d, err = s.open(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.declaration_cancel", TargetType: "gift_aid_declaration", TargetID: id.String(),
			Details: map[string]any{"retrospective": retrospective}})
	})
	return d, err
}

func (s *Service) open(r store.GiftAidDeclaration) (*Declaration, error) {
	person, err := s.openPerson(r.ID, r.PersonalSealed)
	if err != nil {
		return nil, err
	}
	return &Declaration{ID: r.ID, DonorID: r.DonorID, MemberID: r.MemberID, Person: person, Scope: Scope(r.Scope), Method: Method(r.Method),
		WordingVersion: r.WordingVersion, Wording: r.Wording, DeclaredOn: r.DeclaredOn, ConfirmationSentOn: r.ConfirmationSentOn,
		RecordingReference: store.Text(r.RecordingReference), CancelledAt: r.CancelledAt, CancelledRetrospectively: r.CancelledRetrospectively,
		RetainUntil: r.RetainUntil, CreatedAt: r.CreatedAt}, nil
}

func (s *Service) openPerson(id uuid.UUID, box []byte) (Person, error) {
	b, err := s.ring.Open(box, declarationContext(id))
	if err != nil {
		return Person{}, fmt.Errorf("open Gift Aid declaration %s: %w", id, err)
	}
	var p Person
	if err := json.Unmarshal(b, &p); err != nil {
		return Person{}, fmt.Errorf("decode Gift Aid declaration %s: %w", id, err)
	}
	return p, nil
}

// Sealing contexts bind sealed values to their rows.
func declarationContext(id uuid.UUID) string { return "gift_aid_declarations.personal:" + id.String() }
func pendingContext(id uuid.UUID) string     { return "donation_checkouts.gift_aid:" + id.String() }

// dateOf is t's calendar date in the UK, as a UTC midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(London).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// UnlinkMember detaches an erased member from their declarations, which
// are kept (HMRC's six years) with their donor and gifts, in tx. It
// returns how many there were.
func (s *Service) UnlinkMember(ctx context.Context, tx pgx.Tx, memberID uuid.UUID) (int64, error) {
	n, err := store.Q.DeclarationUnlinkMember(ctx, tx, &memberID)
	if err != nil {
		return 0, fmt.Errorf("unlink declarations: %w", err)
	}
	return n, nil
}
