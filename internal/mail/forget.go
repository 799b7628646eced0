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
	// MemberID, when set, also finds the member's composed emails.
	MemberID uuid.UUID `json:"member_id,omitempty"`
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
	for _, hash := range o.hasher.EmailUnderEveryKey(email) {
		args := ForgetArgs{Recipient: base64.RawURLEncoding.EncodeToString(hash), MemberID: member}
		if err := forget(ctx, o.client, tx, args); err != nil {
			return err
		}
		if _, err := o.client.InsertTx(ctx, tx, args, nil); err != nil {
			return fmt.Errorf("erase email to a person: %w", err)
		}
	}
	return nil
}

// forget deletes every email job a's person is sent that is not running,
// in tx (or on its own when tx is nil).
func forget(ctx context.Context, client *river.Client[pgx.Tx], tx pgx.Tx, a ForgetArgs) error {
	const batch = 1000
	for _, params := range forgetParams(a) {
		for {
			params := params.First(batch)
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
				break
			}
		}
	}
	return nil
}

// forgetParams find the email jobs to a's person: sealed ones by the
// address's hash, composed ones by the member's ID.
func forgetParams(a ForgetArgs) []*river.JobDeleteManyParams {
	out := []*river.JobDeleteManyParams{river.NewJobDeleteManyParams().Kinds(SendArgs{}.Kind()).
		Where("args->>'recipient' = @recipient", river.NamedArgs{"recipient": a.Recipient})}
	if a.MemberID != uuid.Nil {
		out = append(out, river.NewJobDeleteManyParams().Kinds(ComposeArgs{}.Kind()).
			Where("args->>'member_id' = @member", river.NamedArgs{"member": a.MemberID.String()}))
	}
	return out
}

// ForgetWorker runs mail.forget jobs.
type ForgetWorker struct {
	river.WorkerDefaults[ForgetArgs]
}

// Work deletes what is left, and comes back later while an email to the
// person is still being sent.
func (ForgetWorker) Work(ctx context.Context, job *river.Job[ForgetArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	if err := forget(ctx, client, nil, job.Args); err != nil {
		return err
	}
	running, err := client.JobList(ctx, river.NewJobListParams().Kinds(SendArgs{}.Kind(), ComposeArgs{}.Kind()).States(rivertype.JobStateRunning).First(1).
		Where("(args->>'recipient' = @recipient OR args->>'member_id' = @member)",
			river.NamedArgs{"recipient": job.Args.Recipient, "member": job.Args.MemberID.String()}))
	if err != nil {
		return err
	}
	if len(running.Jobs) > 0 {
		return river.JobSnooze(forgetAfter)
	}
	return nil
}
