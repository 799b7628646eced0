package mail

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// forgetAfter is how long after an erasure its follow-up looks for emails
// that were being sent at that moment: far longer than one attempt takes
// (the SMTP timeouts are seconds).
const forgetAfter = 2 * time.Minute

// ForgetArgs finishes an erasure: it deletes the emails to a person that
// were being sent when they were erased (a running job cannot be deleted),
// once they have finished. It holds the keyed hash of the address only.
type ForgetArgs struct {
	Recipient string `json:"recipient"`
}

// Kind implements river.JobArgs.
func (ForgetArgs) Kind() string { return "mail.forget" }

// InsertOpts runs it on the mail queue, after the emails being sent.
func (ForgetArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "mail", ScheduledAt: time.Now().Add(forgetAfter), MaxAttempts: 25}
}

// ErasePerson deletes every email to email's owner, queued or finished,
// within tx: for an erasure request (members.Eraser). An email being sent
// at this very moment cannot be deleted yet: a mail.forget job deletes it
// a few minutes later, once it has finished. Emails queued before the
// hash key was rotated are found by the hash they were queued with. The
// member's composed emails go too; one being written now finds the
// member erased and sends nothing.
func (o *Outbox) ErasePerson(ctx context.Context, tx pgx.Tx, member uuid.UUID, email string) error {
	if member != uuid.Nil {
		params := river.NewJobDeleteManyParams().Kinds(ComposeArgs{}.Kind()).First(1000).
			Where("args->>'member_id' = @member", river.NamedArgs{"member": member.String()})
		if _, err := o.client.JobDeleteManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("erase a member's email: %w", err)
		}
	}
	for _, hash := range o.hasher.EmailUnderEveryKey(email) {
		recipient := base64.RawURLEncoding.EncodeToString(hash)
		if err := forget(ctx, o.client, tx, recipient); err != nil {
			return err
		}
		if _, err := o.client.InsertTx(ctx, tx, ForgetArgs{Recipient: recipient}, nil); err != nil {
			return fmt.Errorf("erase email to a person: %w", err)
		}
	}
	return nil
}

// forget deletes every email job to recipient that is not running, in tx
// (or on its own when tx is nil).
func forget(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, recipient string) error {
	const batch = 1000
	for {
		params := river.NewJobDeleteManyParams().Kinds(SendArgs{}.Kind()).First(batch).
			Where("args->>'recipient' = @recipient", river.NamedArgs{"recipient": recipient})
		var res *river.JobDeleteManyResult
		var err error
		if tx != nil {
			res, err = client.JobDeleteManyTx(ctx, tx, params)
		} else {
			res, err = client.JobDeleteMany(ctx, params)
		}
		if err != nil {
			return fmt.Errorf("erase email to a person: %w", err)
		}
		if len(res.Jobs) < batch {
			return nil
		}
	}
}

// ForgetWorker runs mail.forget jobs.
type ForgetWorker struct {
	river.WorkerDefaults[ForgetArgs]
}

// Work deletes what is left, and comes back later while an email to the
// person is still being sent.
func (ForgetWorker) Work(ctx context.Context, job *river.Job[ForgetArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	if err := forget(ctx, client, nil, job.Args.Recipient); err != nil {
		return err
	}
	running, err := client.JobList(ctx, river.NewJobListParams().Kinds(SendArgs{}.Kind()).States(rivertype.JobStateRunning).First(1).
		Where("args->>'recipient' = @recipient", river.NamedArgs{"recipient": job.Args.Recipient}))
	if err != nil {
		return err
	}
	if len(running.Jobs) > 0 {
		return river.JobSnooze(forgetAfter)
	}
	return nil
}
