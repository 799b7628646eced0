package content

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// EnquiryRoles are the staff roles that handle enquiries (admin always).
var EnquiryRoles = []identity.Role{identity.RoleEditor, identity.RoleMembership}

// EnquiryCursor continues a list after the enquiry it names.
type EnquiryCursor struct {
	CreatedAt time.Time `json:"c"`
	ID        uuid.UUID `json:"i"`
}

// EnquiryFilter narrows a list; zero fields do not filter.
type EnquiryFilter struct {
	Status     string
	AssignedTo uuid.UUID
	After      *EnquiryCursor
	Limit      int
}

// List returns enquiries newest first, without their messages (read one
// to see it), and the cursor for the next page (nil on the last). The read
// is audited.
func (e *Enquiries) List(ctx context.Context, f EnquiryFilter) ([]Enquiry, *EnquiryCursor, error) {
	p := store.EnquiryListParams{PageSize: int32(f.Limit) + 1, Status: emptyAsNil(&f.Status), AssignedTo: optionalID(f.AssignedTo)}
	if f.After != nil {
		p.AfterCreatedAt, p.AfterID = &f.After.CreatedAt, f.After.ID
	}
	var out []Enquiry
	var next *EnquiryCursor
	err := store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		rows, err := store.Q.EnquiryList(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("list enquiries: %w", err)
		}
		out = make([]Enquiry, 0, len(rows))
		for i, r := range rows {
			if i == f.Limit {
				next = &EnquiryCursor{CreatedAt: rows[i-1].CreatedAt, ID: rows[i-1].ID}
				break
			}
			name, email, err := e.openSender(r.ID, r.NameSealed, r.EmailSealed)
			if err != nil {
				return err
			}
			out = append(out, Enquiry{ID: r.ID, Name: name, Email: email, Audience: store.Text(r.Audience), Topic: r.Topic,
				ReplyConsent: r.ReplyConsent, Status: r.Status, AssignedTo: r.AssignedTo, HandledAt: utc(r.HandledAt), CreatedAt: r.CreatedAt.UTC()})
		}
		return audit.Record(ctx, tx, audit.Event{Action: "enquiry.list", TargetType: "enquiry",
			Details: map[string]any{"count": len(out), "status": f.Status}})
	})
	return out, next, err
}

// Get returns one enquiry in full; the read is audited.
func (e *Enquiries) Get(ctx context.Context, id uuid.UUID) (*Enquiry, error) {
	var out *Enquiry
	err := store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		row, err := store.Q.EnquiryGet(ctx, tx, id)
		if store.IsNotFound(err) {
			return enquiryNotFound()
		}
		if err != nil {
			return fmt.Errorf("load enquiry: %w", err)
		}
		if out, err = e.fromRow(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "enquiry.read", TargetType: "enquiry", TargetID: id.String()})
	})
	return out, err
}

// EnquiryUpdate assigns an enquiry and marks it handled (or new again).
type EnquiryUpdate struct {
	// Assign applies AssignedTo; uuid.Nil there unassigns.
	Assign     bool
	AssignedTo uuid.UUID
	// Status, when set, is EnquiryNew or EnquiryHandled.
	Status string
}

// Update applies u on behalf of staff member by.
func (e *Enquiries) Update(ctx context.Context, id uuid.UUID, by uuid.UUID, u EnquiryUpdate) (*Enquiry, error) {
	if u.Status != "" && u.Status != EnquiryNew && u.Status != EnquiryHandled {
		return nil, hpa.Invalid("body.status", "must be new or handled")
	}
	var out *Enquiry
	err := store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		if u.Assign && u.AssignedTo != uuid.Nil {
			if err := checkAssignee(ctx, tx, u.AssignedTo); err != nil {
				return err
			}
		}
		row, err := store.Q.EnquiryUpdate(ctx, tx, store.EnquiryUpdateParams{ID: id, SetAssignedTo: u.Assign,
			AssignedTo: optionalID(u.AssignedTo), Status: emptyAsNil(&u.Status), StaffID: optionalID(by)})
		if store.IsNotFound(err) {
			return enquiryNotFound()
		}
		if err != nil {
			return fmt.Errorf("update enquiry: %w", err)
		}
		if out, err = e.fromRow(row); err != nil {
			return err
		}
		details := map[string]any{"status": out.Status}
		if u.Assign {
			details["assigned_to"] = u.AssignedTo.String()
		}
		return audit.Record(ctx, tx, audit.Event{Action: "enquiry.update", TargetType: "enquiry", TargetID: id.String(), Details: details})
	})
	return out, err
}

// checkAssignee accepts active staff who may handle enquiries.
func checkAssignee(ctx context.Context, tx pgx.Tx, staffID uuid.UUID) error {
	s, err := store.Q.StaffGetByID(ctx, tx, staffID)
	if store.IsNotFound(err) {
		return hpa.Invalid("body.assigned_to", "is not a staff member")
	}
	if err != nil {
		return fmt.Errorf("load assignee: %w", err)
	}
	allowed := slices.Contains(s.Roles, string(identity.RoleAdmin))
	for _, r := range EnquiryRoles {
		allowed = allowed || slices.Contains(s.Roles, string(r))
	}
	if !s.Active || !allowed {
		return hpa.Invalid("body.assigned_to", "must be an active staff member with the admin, editor or membership role")
	}
	return nil
}

// Delete erases an enquiry now (for example on an erasure request).
func (e *Enquiries) Delete(ctx context.Context, id uuid.UUID) error {
	return store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		n, err := store.Q.EnquiryDelete(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("delete enquiry: %w", err)
		}
		if n == 0 {
			return enquiryNotFound()
		}
		return audit.Record(ctx, tx, audit.Event{Action: "enquiry.delete", TargetType: "enquiry", TargetID: id.String()})
	})
}

// ErasePerson deletes every enquiry sent from email (any case or "+tag",
// see hpa.EmailKey), for a person's erasure request, in the caller's
// transaction (members.Eraser).
func (e *Enquiries) ErasePerson(ctx context.Context, tx pgx.Tx, _ uuid.UUID, email string) error {
	n, err := store.Q.EnquiryDeleteByEmailHash(ctx, tx, e.hasher.Email(email))
	if err != nil {
		return fmt.Errorf("erase enquiries: %w", err)
	}
	return audit.Record(ctx, tx, audit.Event{Action: "enquiry.erase", TargetType: "enquiry", Details: map[string]any{"count": n}})
}

func enquiryNotFound() error { return hpa.Errorf(hpa.ENOTFOUND, "there is no such enquiry") }
