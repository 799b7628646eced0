package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// duplicateNoticeInterval: however often someone asks to book an address
// that already has a place, its owner is told at most once in it.
const duplicateNoticeInterval = time.Hour

// NoticeArgs tells a registrant about a request to book: their new
// booking, or (Again) that the address already had one.
type NoticeArgs struct {
	RegistrationID uuid.UUID `json:"registration_id"`
	Again          bool      `json:"again"`
}

// Kind implements river.JobArgs.
func (NoticeArgs) Kind() string { return "engagement.registration_notice" }

// NoticeWorker sends what a request to book calls for. It runs after the
// request was answered, so the answer takes as long whichever it is.
type NoticeWorker struct {
	river.WorkerDefaults[NoticeArgs]
	s *Service
}

// Work implements river.Worker.
func (w *NoticeWorker) Work(ctx context.Context, job *river.Job[NoticeArgs]) error {
	s := w.s
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		reg, err := s.noticeRegistration(ctx, tx, job.Args)
		if store.IsNotFound(err) || (err == nil && reg.Status == RegCancelled) {
			return nil // cancelled since, or told within the interval
		}
		if err != nil {
			return fmt.Errorf("registration notice: %w", err)
		}
		row, err := s.get(ctx, tx, reg.OpportunityID)
		if err != nil {
			return err
		}
		r, err := s.openRegistration(reg, false)
		if err != nil {
			return err
		}
		if r.Status == RegWaitlisted {
			pos, err := store.Q.RegistrationWaitlistPosition(ctx, tx, store.RegistrationWaitlistPositionParams{OpportunityID: reg.OpportunityID, CreatedAt: reg.CreatedAt, ID: reg.ID})
			if err != nil {
				return fmt.Errorf("registration notice: %w", err)
			}
			r.WaitlistPosition = int(pos)
		}
		o := fromRow(row)
		if job.Args.Again {
			e := s.registrationEmail("registration-already", o, r)
			e.Attachments = nil // they have the invitation; this only reassures
			return s.outbox.Enqueue(ctx, tx, e)
		}
		template := "registration-confirmed"
		if r.Status == RegWaitlisted {
			template = "registration-waitlisted"
		}
		if err := s.outbox.Enqueue(ctx, tx, s.registrationEmail(template, o, r)); err != nil {
			return err
		}
		if r.Status == RegConfirmed {
			return s.scheduleReminder(ctx, tx, o, r.ID)
		}
		return nil
	})
}

// noticeRegistration is the registration a notice is about; for a
// repeated request, only if it still stands and its owner was not told of
// one within the interval (it is marked told).
func (s *Service) noticeRegistration(ctx context.Context, tx pgx.Tx, a NoticeArgs) (store.Registration, error) {
	if !a.Again {
		reg, err := store.Q.RegistrationGet(ctx, tx, a.RegistrationID)
		if err != nil {
			return reg, fmt.Errorf("load registration %s: %w", a.RegistrationID, err)
		}
		return reg, nil
	}
	now := s.now()
	reg, err := store.Q.RegistrationMarkDuplicateNotice(ctx, tx, store.RegistrationMarkDuplicateNoticeParams{
		ID: a.RegistrationID, Now: now, Since: now.Add(-duplicateNoticeInterval)})
	if err != nil {
		return reg, fmt.Errorf("mark duplicate notice of %s: %w", a.RegistrationID, err)
	}
	return reg, nil
}
