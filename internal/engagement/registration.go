package engagement

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Registration statuses.
const (
	RegConfirmed  = "confirmed"
	RegWaitlisted = "waitlisted"
	RegCancelled  = "cancelled"
)

// RegistrationRequest asks for a place. A signed-in member registers as
// themself; anyone else gives a name and email.
type RegistrationRequest struct {
	MemberID    *uuid.UUID
	Name, Email string
	// AccessibilityNeeds are held only with AccessibilityConsent (they can
	// be health information), sealed, for staff with the membership role
	// (and admins) only.
	AccessibilityNeeds   string
	AccessibilityConsent bool
	// ShareWithOrganiser: the person agreed the organiser may have their
	// name and email.
	ShareWithOrganiser bool
}

// Registration is a place (or a place in the queue) at an event.
type Registration struct {
	ID                 uuid.UUID
	OpportunityID      uuid.UUID
	MemberID           *uuid.UUID
	Name, Email        string
	Status             string
	WaitlistPosition   int
	AccessibilityNeeds string // only for those allowed to see it
	ShareWithOrganiser bool
	CreatedAt          time.Time
}

func emailContext(id uuid.UUID) string         { return "registrations.email:" + id.String() }
func accessibilityContext(id uuid.UUID) string { return "registrations.accessibility:" + id.String() }

// Register books a place, or a place on the waiting list when the event is
// full. The opportunity's row is locked while counting, so concurrent
// registrations can never overbook.
//
// Anyone may book for any address, so for an anonymous caller the answer
// never says whether the address already has a place: it is the answer a
// new booking would get (a fresh ID, stored nowhere, and a newcomer's
// status and queue position), and the owner is emailed instead. Both
// cases do the same work here (one row written, one job queued); the
// emails are the job's (see NoticeWorker). A signed-in member asking for
// themself is told directly.
func (s *Service) Register(ctx context.Context, opportunityID uuid.UUID, req RegistrationRequest) (*Registration, error) {
	if req.AccessibilityNeeds != "" && !req.AccessibilityConsent {
		return nil, hpa.Invalid("body.accessibility_consent", "must be true to send accessibility needs: they can be health information").WithReason(ReasonSpecialCategoryConsentRequired)
	}
	var out *Registration
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		name, email, err := s.registrant(ctx, tx, req)
		if err != nil {
			return err
		}
		_, dedupe, err := members.NormaliseEmail(email)
		if err != nil {
			return err
		}
		row, err := store.Q.OpportunityGetForUpdate(ctx, tx, opportunityID)
		if store.IsNotFound(err) || (err == nil && row.Status != StatusPublished && row.Status != StatusClosed) {
			return errNotFound
		}
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		if err := s.checkOpen(row); err != nil {
			return err
		}
		confirmed, err := store.Q.RegistrationCountConfirmed(ctx, tx, opportunityID)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		status := RegConfirmed
		if row.Capacity != nil && confirmed >= int64(*row.Capacity) {
			status = RegWaitlisted
		}
		id := uuid.New()
		var access []byte
		if req.AccessibilityConsent {
			access = s.ring.SealString(req.AccessibilityNeeds, accessibilityContext(id))
		}
		reg, err := store.Q.RegistrationInsert(ctx, tx, store.RegistrationInsertParams{
			ID: id, OpportunityID: opportunityID, MemberID: req.MemberID, EmailHash: s.registrationEmailHash(opportunityID, dedupe),
			EmailSealed: s.ring.SealString(email, emailContext(id)), Name: &name, Status: status, AccessibilitySealed: access,
			ShareWithOrganiser: req.ShareWithOrganiser,
		})
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		again := reg.ID != id // the address already had a place: reg is that one, unchanged
		if again && req.MemberID != nil {
			return hpa.Errorf(hpa.ECONFLICT, "you are already registered for this event; use the link in its email to cancel").WithReason(ReasonAlreadyRegistered)
		}
		out = &Registration{ID: id, OpportunityID: opportunityID, MemberID: req.MemberID, Status: status}
		if !again {
			if err := s.tellRegistered(ctx, tx, row, reg, name, email); err != nil {
				return err
			}
		}
		if status == RegWaitlisted {
			if out.WaitlistPosition, err = s.newcomerPosition(ctx, tx, reg, again); err != nil {
				return err
			}
		}
		_, err = s.jobs.InsertTx(ctx, tx, NoticeArgs{RegistrationID: reg.ID, Again: again}, nil)
		return err
	})
	return out, err
}

// newcomerPosition is the queue position of a new registration reg, or,
// when again, the one a newcomer would have had.
func (s *Service) newcomerPosition(ctx context.Context, tx pgx.Tx, reg store.Registration, again bool) (int, error) {
	if again {
		waiting, err := store.Q.RegistrationCountWaitlisted(ctx, tx, reg.OpportunityID)
		if err != nil {
			return 0, fmt.Errorf("count the waiting list of %s: %w", reg.OpportunityID, err)
		}
		return int(waiting) + 1, nil
	}
	pos, err := store.Q.RegistrationWaitlistPosition(ctx, tx, store.RegistrationWaitlistPositionParams{OpportunityID: reg.OpportunityID, CreatedAt: reg.CreatedAt, ID: reg.ID})
	if err != nil {
		return 0, fmt.Errorf("find the waiting-list place of %s: %w", reg.ID, err)
	}
	return int(pos), nil
}

// registrant is the name and email a registration is for.
func (s *Service) registrant(ctx context.Context, tx pgx.Tx, req RegistrationRequest) (string, string, error) {
	if req.MemberID == nil {
		if req.Name == "" || req.Email == "" {
			return "", "", hpa.Invalid("body.email", "name and email are required unless you are signed in as a member")
		}
		return req.Name, req.Email, nil
	}
	c, err := s.directory.Contact(ctx, tx, *req.MemberID)
	if err != nil {
		return "", "", err
	}
	if c == nil {
		return "", "", hpa.Errorf(hpa.EFORBIDDEN, "this membership cannot register")
	}
	return c.Name, c.Email, nil
}

// checkOpen refuses registrations after closing or once the event began.
func (s *Service) checkOpen(row store.Opportunity) error {
	now := s.now()
	switch {
	case !slices.Contains(registrationKinds, row.Kind):
		return hpa.Errorf(hpa.ECONFLICT, "a %s takes no registrations; see its link", row.Kind).WithReason(ReasonRegistrationNotOffered)
	case row.Status == StatusClosed, row.ClosesAt != nil && !row.ClosesAt.After(now), row.StartsAt != nil && !row.StartsAt.After(now):
		return hpa.Errorf(hpa.ECONFLICT, "registration for this event has closed").WithReason(ReasonRegistrationClosed)
	}
	return nil
}

func (s *Service) registrationEmail(template string, o *Opportunity, r *Registration) mail.Email {
	e := mail.Email{Template: template, To: r.Email, Data: map[string]any{
		"Name": r.Name, "Title": o.Title, "When": describeWhen(o), "Where": where(o), "Position": r.WaitlistPosition, "Waitlisted": r.Status == RegWaitlisted,
		"CancelURL": sitelinks.CancelRegistration.URL(s.settings.SiteURL, s.cancelToken(r.ID)), "URL": sitelinks.Opportunity.URL(s.settings.SiteURL, o.ID.String()),
	}}
	if r.Status == RegConfirmed {
		e.Attachments = []mail.Attachment{{Name: "event.ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH",
			Content: calendar(o.Title, s.settings.SiteURL, []*Opportunity{o}, s.now())}}
	}
	return e
}

func where(o *Opportunity) string {
	if o.Online {
		return "Online (the joining link follows before the event)"
	}
	return o.Location
}

// ReminderArgs reminds one registrant the day before.
type ReminderArgs struct {
	RegistrationID uuid.UUID `json:"registration_id"`
}

// Kind implements river.JobArgs.
func (ReminderArgs) Kind() string { return "engagement.reminder" }

// scheduleReminder queues the reminder for a day before the start; a
// place booked less than a day ahead gets none (the confirmation is fresh).
func (s *Service) scheduleReminder(ctx context.Context, tx pgx.Tx, o *Opportunity, id uuid.UUID) error {
	if o.StartsAt == nil {
		return nil
	}
	at := o.StartsAt.Add(-24 * time.Hour)
	if !at.After(s.now()) {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, ReminderArgs{RegistrationID: id}, &river.InsertOpts{ScheduledAt: at})
	return err
}

// ReminderWorker sends a reminder if the place still stands.
type ReminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	s *Service
}

// Work implements river.Worker.
func (w *ReminderWorker) Work(ctx context.Context, job *river.Job[ReminderArgs]) error {
	s := w.s
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		reg, err := store.Q.RegistrationMarkReminded(ctx, tx, job.Args.RegistrationID)
		if store.IsNotFound(err) {
			return nil // cancelled, or reminded already
		}
		if err != nil {
			return fmt.Errorf("mark registration reminded: %w", err)
		}
		row, err := s.get(ctx, tx, reg.OpportunityID)
		if err != nil || row.Status != StatusPublished || row.StartsAt == nil || row.StartsAt.Before(s.now()) {
			return err
		}
		r, err := s.openRegistration(reg, false)
		if err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, s.registrationEmail("registration-reminder", fromRow(row), r))
	})
}

// cancelToken signs a registration's ID for its cancellation link.
func (s *Service) cancelToken(id uuid.UUID) string {
	mac := s.hasher.Hash("registration-cancel", id.String())[:16]
	return base64.RawURLEncoding.EncodeToString(append(id[:], mac...))
}

var errBadCancel = &hpa.Error{Code: hpa.EINVALID, Reason: ReasonInvalidLink, Message: "this cancellation link is not valid",
	Fields: []hpa.FieldError{{Location: "body.token", Message: "not a token HPA issued"}}}

// Cancel gives up a place (or a place in the queue) from the link in the
// registration email. If a confirmed place frees up, the first person
// waiting is promoted and told.
func (s *Service) Cancel(ctx context.Context, token string) error {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return errBadCancel
	}
	id, _ := uuid.FromBytes(raw[:16])
	if !s.hasher.VerifyUnderEveryKey("registration-cancel", id.String(), raw[16:]) {
		return errBadCancel
	}
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		reg, err := store.Q.RegistrationGet(ctx, tx, id)
		if store.IsNotFound(err) {
			return errBadCancel
		}
		if err != nil {
			return fmt.Errorf("load registration %s: %w", id, err)
		}
		if reg.Status == RegCancelled {
			return nil // cancelling twice is harmless
		}
		return s.giveUpPlace(ctx, tx, reg.OpportunityID, id, reg.Status)
	})
}

// promote confirms the first person on the waiting list, within the
// transaction holding the opportunity's lock.
func (s *Service) promote(ctx context.Context, tx pgx.Tx, o *Opportunity) error {
	next, err := store.Q.RegistrationFirstWaitlisted(ctx, tx, o.ID)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the first waiting for %s: %w", o.ID, err)
	}
	promoted, err := store.Q.RegistrationPromote(ctx, tx, next.ID)
	if err != nil {
		return fmt.Errorf("promote registration %s: %w", next.ID, err)
	}
	if err := s.tellChanged(ctx, tx, o.OrganisationID, promoted, webhooks.TypeRegistrationPromoted); err != nil {
		return err
	}
	r, err := s.openRegistration(promoted, false)
	if err != nil {
		return err
	}
	if err := s.outbox.Enqueue(ctx, tx, s.registrationEmail("registration-promoted", o, r)); err != nil {
		return err
	}
	if err := s.scheduleReminder(ctx, tx, o, r.ID); err != nil {
		return err
	}
	return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorSystem}, audit.Event{Action: "registration.promote", TargetType: "registration", TargetID: r.ID.String()})
}

// openRegistration unseals a registration; accessibility needs only when
// withAccess.
func (s *Service) openRegistration(r store.Registration, withAccess bool) (*Registration, error) {
	email, err := s.ring.OpenString(r.EmailSealed, emailContext(r.ID))
	if err != nil {
		return nil, err
	}
	out := &Registration{ID: r.ID, OpportunityID: r.OpportunityID, MemberID: r.MemberID, Name: store.Text(r.Name), Email: email, Status: r.Status,
		ShareWithOrganiser: r.ShareWithOrganiser, CreatedAt: r.CreatedAt}
	if withAccess {
		if out.AccessibilityNeeds, err = s.ring.OpenString(r.AccessibilitySealed, accessibilityContext(r.ID)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
