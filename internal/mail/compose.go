package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// ComposeArgs is an outbox job for an email written at sending time from
// the database, not carried in the job: it names the member and the kind
// of message, and holds only what cannot be read back (the reference a
// link's token is derived from, never the token itself). A member erased
// before it is sent gets nothing, and the row, queued or finished, holds
// nothing personal, sealed or not, so it is a fraction of a SendArgs row.
type ComposeArgs struct {
	// Template names the email, and so the Composer that writes it.
	Template string    `json:"template"`
	MemberID uuid.UUID `json:"member_id"`
	// Token is what the composer derives the email's link token from
	// (with a server key); the token is stored only as its hash.
	Token []byte `json:"token,omitempty"`
	// Partner is the name of the organisation whose signup the email asks
	// to confirm sharing with (an organisation, not a person).
	Partner string `json:"partner,omitempty"`
}

// Kind implements river.JobArgs.
func (ComposeArgs) Kind() string { return "mail.compose" }

// InsertOpts puts it on the mail queue, as SendArgs.
func (ComposeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "mail", MaxAttempts: 12}
}

// A Composer writes the email a ComposeArgs job sends, reading what it
// needs from the database. It returns nil when there is nobody to send it
// to any more (the member was erased, or the link can no longer be used);
// an error is retried.
type Composer func(ctx context.Context, args ComposeArgs) (*Email, error)

// ComposeWith makes c write the emails of the given templates. Call it
// before the job client starts.
func (o *Outbox) ComposeWith(c Composer, templates ...string) {
	if o.composers == nil {
		o.composers = map[string]Composer{}
	}
	for _, t := range templates {
		o.composers[t] = c
	}
}

// ComposeJob is the job for args, to insert with others (Batch), checking
// that its template exists and has a composer.
func (o *Outbox) ComposeJob(args ComposeArgs) (river.InsertManyParams, error) {
	if !o.renders.Has(args.Template) || o.composers[args.Template] == nil {
		return river.InsertManyParams{}, fmt.Errorf("mail: no template or composer %q", args.Template)
	}
	return river.InsertManyParams{Args: args}, nil
}

// Compose adds the email args names to the outbox within tx.
func (o *Outbox) Compose(ctx context.Context, tx pgx.Tx, args ComposeArgs) error {
	job, err := o.ComposeJob(args)
	if err != nil {
		return err
	}
	if _, err := o.client.InsertTx(ctx, tx, job.Args, nil); err != nil {
		return fmt.Errorf("enqueue %s email: %w", args.Template, err)
	}
	return nil
}

// compose is the email a ComposeArgs job sends, or nil for none.
func (o *Outbox) compose(ctx context.Context, args ComposeArgs) (*Email, error) {
	c := o.composers[args.Template]
	if c == nil {
		return nil, river.JobCancel(fmt.Errorf("mail: no composer for %q", args.Template))
	}
	e, err := c(ctx, args)
	if err != nil || e == nil {
		return nil, err
	}
	e.Template = args.Template
	return e, nil
}

// ComposeWorker sends ComposeArgs jobs.
type ComposeWorker struct {
	river.WorkerDefaults[ComposeArgs]
	outbox *Outbox
	sender *Sender
}

// ComposeWorker returns the worker that writes the outbox's composed
// emails and sends them with sender.
func (o *Outbox) ComposeWorker(sender *Sender) *ComposeWorker {
	return &ComposeWorker{outbox: o, sender: sender}
}

// Timeout bounds one attempt (attemptTimeout).
func (w *ComposeWorker) Timeout(*river.Job[ComposeArgs]) time.Duration { return attemptTimeout }

// Work writes the email and sends it; with nobody to send it to, the job
// completes without sending.
func (w *ComposeWorker) Work(ctx context.Context, job *river.Job[ComposeArgs]) error {
	e, err := w.outbox.compose(ctx, job.Args)
	if err != nil || e == nil {
		return err
	}
	return w.sender.Send(ctx, *e)
}
