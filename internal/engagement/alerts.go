package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Directory answers, at the moment of sending, whether and where a member
// may be emailed: active, and with a current consent for the purpose.
// members.Service is one.
type Directory interface {
	Recipient(ctx context.Context, db store.DBTX, memberID uuid.UUID, purpose string) (*members.Recipient, error)
	// Contact is a member's name and address for something they asked for
	// themselves (a registration), whatever their interests.
	Contact(ctx context.Context, db store.DBTX, memberID uuid.UUID) (*members.Recipient, error)
	UnsubscribeLinks(id uuid.UUID) *mail.Unsubscribe
}

// FanoutArgs finds the members to alert about a published opportunity.
type FanoutArgs struct {
	OpportunityID uuid.UUID `json:"opportunity_id"`
}

// Kind implements river.JobArgs.
func (FanoutArgs) Kind() string { return "engagement.alert_fanout" }

// SendArgs alerts one member about one opportunity.
type SendArgs struct {
	OpportunityID uuid.UUID `json:"opportunity_id"`
	MemberID      uuid.UUID `json:"member_id"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "engagement.alert_send" }

func (s *Service) startAlerts(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	n, err := store.Q.AlertSendStart(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("start alerts: %w", err)
	}
	if n == 0 {
		return nil // published before: alerts went then, and go once
	}
	if _, err := s.jobs.InsertTx(ctx, tx, FanoutArgs{OpportunityID: id}, nil); err != nil {
		return fmt.Errorf("start alerts: %w", err)
	}
	return nil
}

// interestPurpose is the consent purpose an opportunity's kind alerts.
func interestPurpose(kind string) (interest, purpose string) {
	interest = kindInterest[kind]
	return interest, "interest:" + interest
}

// FanoutWorker records, once per member, who is to be alerted, then
// queues one send job per member. Re-running it (after a crash or a
// restart) adds nobody twice and re-queues only alerts not yet sent.
type FanoutWorker struct {
	river.WorkerDefaults[FanoutArgs]
	s *Service
}

// Work implements river.Worker.
func (w *FanoutWorker) Work(ctx context.Context, job *river.Job[FanoutArgs]) error {
	s := w.s
	id := job.Args.OpportunityID
	row, err := s.get(ctx, s.db, id)
	if err != nil {
		return err
	}
	interest, purpose := interestPurpose(row.Kind)
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := store.Q.AlertsInsertMatching(ctx, tx, store.AlertsInsertMatchingParams{OpportunityID: id, Interest: interest,
			Purpose: purpose, Audiences: row.Audiences, Since: s.now().Add(-s.settings.AlertInterval)}); err != nil {
			return fmt.Errorf("match members: %w", err)
		}
		counts, err := store.Q.AlertCounts(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("count alerts of %s: %w", id, err)
		}
		var total int64
		for _, c := range counts {
			total += c.N
		}
		if err := store.Q.AlertSendSetMatched(ctx, tx, store.AlertSendSetMatchedParams{OpportunityID: id, Matched: int32(total)}); err != nil {
			return fmt.Errorf("record alerts matched for %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	pending, err := store.Q.AlertsPending(ctx, s.db, id)
	if err != nil {
		return fmt.Errorf("pending alerts: %w", err)
	}
	for start := 0; start < len(pending); start += 5000 {
		batch := pending[start:min(start+5000, len(pending))]
		params := make([]river.InsertManyParams, len(batch))
		for i, m := range batch {
			params[i] = river.InsertManyParams{Args: SendArgs{OpportunityID: id, MemberID: m}}
		}
		if _, err := s.jobs.InsertManyFast(ctx, params); err != nil {
			return fmt.Errorf("queue alerts: %w", err)
		}
	}
	return nil
}

// SendWorker sends one alert. The alert row, locked, is the guarantee: it
// moves from pending to sent in the same transaction that puts the email
// in the outbox, so however often the job runs the member gets one email.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	s *Service
}

// Work implements river.Worker.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	s := w.s
	send, err := store.Q.AlertSendGet(ctx, s.db, job.Args.OpportunityID)
	if err != nil {
		return fmt.Errorf("alert send: %w", err)
	}
	if send.State == "paused" {
		return river.JobSnooze(15 * time.Second)
	}
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		alert, err := store.Q.AlertGetForUpdate(ctx, tx, store.AlertGetForUpdateParams{OpportunityID: job.Args.OpportunityID, MemberID: job.Args.MemberID})
		if store.IsNotFound(err) {
			return nil // the member was erased since
		}
		if err != nil || alert.State != "pending" {
			return err
		}
		row, err := s.get(ctx, tx, job.Args.OpportunityID)
		if err != nil {
			return err
		}
		_, purpose := interestPurpose(row.Kind)
		r, err := s.directory.Recipient(ctx, tx, job.Args.MemberID, purpose)
		if err != nil {
			return err
		}
		key := store.AlertGetForUpdateParams{OpportunityID: job.Args.OpportunityID, MemberID: job.Args.MemberID}
		if r == nil || row.Status != StatusPublished {
			if err := store.Q.AlertMarkSkipped(ctx, tx, store.AlertMarkSkippedParams(key)); err != nil {
				return fmt.Errorf("mark alert skipped: %w", err)
			}
			return nil
		}
		if err := s.outbox.Enqueue(ctx, tx, s.alertEmail(fromRow(row), r, job.Args.MemberID)); err != nil {
			return err
		}
		if err := store.Q.AlertMarkSent(ctx, tx, store.AlertMarkSentParams(key)); err != nil {
			return fmt.Errorf("mark alert sent: %w", err)
		}
		return nil
	})
}

func (s *Service) alertEmail(o *Opportunity, r *members.Recipient, memberID uuid.UUID) mail.Email {
	return mail.Email{Template: "opportunity-alert", To: r.Email, Unsubscribe: s.directory.UnsubscribeLinks(memberID), Data: map[string]any{
		"Name": r.Name, "Title": o.Title, "Summary": o.Summary, "Kind": o.Kind, "Organiser": o.OrganiserName,
		"When": describeWhen(o), "URL": sitelinks.Opportunity.URL(s.settings.SiteURL, o.ID.String()),
	}}
}

// describeWhen is a human line for an opportunity's date, in its time zone.
func describeWhen(o *Opportunity) string {
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	switch {
	case o.StartsAt != nil:
		return o.StartsAt.In(loc).Format("Monday 2 January 2006, 15:04 MST")
	case o.ClosesAt != nil:
		return "Open until " + o.ClosesAt.In(loc).Format("Monday 2 January 2006")
	}
	return ""
}

// AlertProgress is how far an opportunity's alerts have gone.
type AlertProgress struct {
	State   string // running or paused
	Matched int
	Counts  map[string]int64 // by alert state: pending, sent, digest, digested, skipped
}

// Progress reports an opportunity's alert send.
func (s *Service) Progress(ctx context.Context, id uuid.UUID) (*AlertProgress, error) {
	send, err := store.Q.AlertSendGet(ctx, s.db, id)
	if store.IsNotFound(err) {
		return nil, hpa.Errorf(hpa.ENOTFOUND, "no alerts for that opportunity: it has not been published")
	}
	if err != nil {
		return nil, fmt.Errorf("alert progress: %w", err)
	}
	counts, err := store.Q.AlertCounts(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("alert progress: %w", err)
	}
	p := &AlertProgress{State: send.State, Matched: int(send.Matched), Counts: map[string]int64{}}
	for _, c := range counts {
		p.Counts[c.State] = c.N
	}
	return p, nil
}

// SetPaused pauses or resumes an opportunity's alert send. Paused sends
// wait and resume where they stopped; nobody gets an alert twice.
func (s *Service) SetPaused(ctx context.Context, id uuid.UUID, paused bool) (*AlertProgress, error) {
	state := "running"
	if paused {
		state = "paused"
	}
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := store.Q.AlertSendSetState(ctx, tx, store.AlertSendSetStateParams{OpportunityID: id, State: state}); store.IsNotFound(err) {
			return hpa.Errorf(hpa.ENOTFOUND, "no alerts for that opportunity: it has not been published")
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "opportunity.alerts_" + map[bool]string{true: "pause", false: "resume"}[paused],
			TargetType: "opportunity", TargetID: id.String()})
	})
	if err != nil {
		return nil, err
	}
	return s.Progress(ctx, id)
}
