package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// DigestArgs sends the digests due today.
type DigestArgs struct{}

// Kind implements river.JobArgs.
func (DigestArgs) Kind() string { return "engagement.digest" }

// PeriodicJobs are engagement's scheduled jobs: the digests, every morning
// at nine, UK time. Weekly digests (and the alerts held back by the
// one-a-week cap) go on Mondays, monthly digests on the first of the month.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(dailyAt{hour: 9, loc: hpa.London},
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil }, nil)}
}

// dailyAt is a River schedule firing once a day at an hour, local time.
type dailyAt struct {
	hour int
	loc  *time.Location
}

// Next implements river.PeriodicSchedule.
func (d dailyAt) Next(t time.Time) time.Time {
	local := t.In(d.loc)
	next := time.Date(local.Year(), local.Month(), local.Day(), d.hour, 0, 0, 0, d.loc)
	if !next.After(t) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, d.hour, 0, 0, 0, d.loc)
	}
	return next
}

// DigestWorker sends each due member one email listing what they have not
// yet heard about, and marks those alerts done in the same transaction.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	s *Service
}

// Work implements river.Worker.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	return w.s.SendDigests(ctx)
}

// SendDigests sends the digests due now.
func (s *Service) SendDigests(ctx context.Context) error {
	today := s.now().In(hpa.London)
	due, err := store.Q.DigestMembersDue(ctx, s.db, store.DigestMembersDueParams{FirstOfMonth: today.Day() == 1, WeeklyDay: today.Weekday() == time.Monday})
	if err != nil {
		return fmt.Errorf("digests due: %w", err)
	}
	for _, id := range due {
		if err := s.sendDigest(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendDigest(ctx context.Context, memberID uuid.UUID) error {
	return store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		rows, err := store.Q.DigestAlertsForMember(ctx, tx, memberID)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		var items []map[string]any
		r, err := s.directory.Contact(ctx, tx, memberID)
		if err != nil {
			return err
		}
		for _, row := range rows {
			_, purpose := interestPurpose(row.Kind)
			ok, err := s.directory.Recipient(ctx, tx, memberID, purpose)
			if err != nil {
				return err
			}
			if ok == nil {
				continue // they withdrew that interest since
			}
			o := fromRow(row)
			items = append(items, map[string]any{"Title": o.Title, "Summary": o.Summary, "When": describeWhen(o), "URL": sitelinks.Opportunity.URL(s.settings.SiteURL, o.ID.String())})
		}
		if r != nil && len(items) > 0 {
			if err := s.outbox.Enqueue(ctx, tx, mail.Email{Template: "opportunity-digest", To: r.Email, Unsubscribe: s.directory.UnsubscribeLinks(memberID),
				Data: map[string]any{"Name": r.Name, "Items": items}}); err != nil {
				return err
			}
		}
		if err := store.Q.DigestMarkDone(ctx, tx, memberID); err != nil {
			return fmt.Errorf("mark digest done for %s: %w", memberID, err)
		}
		return nil
	})
}
