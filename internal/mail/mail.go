// Package mail sends email through a transactional outbox: capabilities
// enqueue an Email in the same transaction as the change that causes it,
// and a River worker renders and sends it, retrying with back-off, so a
// mail server that is down or slow never fails or slows a request.
package mail

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Email is one message to send, by template name.
type Email struct {
	Template string `json:"-"`
	To       string `json:"to"`
	// Data fills the template. Keep it to what the email shows.
	Data map[string]any `json:"data"`
	// Unsubscribe, when set, gives a member's email its List-Unsubscribe
	// headers and its footer link.
	Unsubscribe *Unsubscribe `json:"unsubscribe,omitempty"`
	// UnsubscribeURL is the one-click URL of an email queued before
	// Unsubscribe: it still gets its List-Unsubscribe header.
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
	// Attachments are small files such as calendar invitations.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Unsubscribe are the two ways out of a member's email. A person's click
// on a link is a GET in a browser, so the footer links to the website's
// page, which calls the API; mail clients POST the API's URL themselves.
type Unsubscribe struct {
	// OneClick is the API's RFC 8058 one-click URL, sent as the
	// List-Unsubscribe header with List-Unsubscribe-Post.
	OneClick string `json:"one_click"`
	// Page is the website's unsubscribe page, the footer's link.
	Page string `json:"page"`
}

// Attachment is a file sent with an email.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content"`
}

// SendArgs is the outbox job. An email says who it is for and often more
// (a name, a booking, a gift), so everything but the template name is
// sealed: a job row, queued or finished, holds no address or text in
// clear. Recipient, the keyed hash of the address (sealed.Hasher.Email),
// finds a person's mail when they ask to be forgotten. Rows are deleted an
// hour after sending (HPA_JOB_RETENTION, River's completed-job retention).
type SendArgs struct {
	Template  string `json:"template"`
	Recipient string `json:"recipient"`
	Sealed    []byte `json:"sealed"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "mail.send" }

// InsertOpts puts mail on its own queue.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "mail", MaxAttempts: 12}
}

// RecipientKey is the Recipient of SendArgs for an address.
func RecipientKey(hasher *sealed.Hasher, address string) string {
	return base64.RawURLEncoding.EncodeToString(hasher.Email(address))
}

// sealContext binds a sealed email to its recipient.
func sealContext(recipient string) string { return "mail.send:" + recipient }

// Seal is the outbox job for e.
func Seal(ring *sealed.Ring, hasher *sealed.Hasher, e Email) (SendArgs, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return SendArgs{}, fmt.Errorf("mail: encode %s email: %w", e.Template, err)
	}
	recipient := RecipientKey(hasher, e.To)
	return SendArgs{Template: e.Template, Recipient: recipient, Sealed: ring.Seal(body, sealContext(recipient))}, nil
}

// Open is the email an outbox job sends.
func Open(ring *sealed.Ring, args SendArgs) (Email, error) {
	body, err := ring.Open(args.Sealed, sealContext(args.Recipient))
	if err != nil {
		return Email{}, fmt.Errorf("mail: open %s email: %w", args.Template, err)
	}
	e := Email{Template: args.Template}
	if err := json.Unmarshal(body, &e); err != nil {
		return Email{}, fmt.Errorf("mail: decode %s email: %w", args.Template, err)
	}
	return e, nil
}

// Outbox enqueues email.
type Outbox struct {
	client  *river.Client[pgx.Tx]
	renders *Renderer
	ring    *sealed.Ring
	hasher  *sealed.Hasher
	// composers write the emails of ComposeArgs jobs, by template.
	composers map[string]Composer
}

// NewOutbox returns an Outbox inserting through client, sealing each
// email with ring. It checks each email's template exists at enqueue time,
// so a typo fails the request (and its transaction) rather than a job much
// later.
func NewOutbox(client *river.Client[pgx.Tx], renderer *Renderer, ring *sealed.Ring, hasher *sealed.Hasher) *Outbox {
	return &Outbox{client: client, renders: renderer, ring: ring, hasher: hasher}
}

// Enqueue adds e to the outbox within tx.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, e Email) error {
	if !o.renders.Has(e.Template) {
		return fmt.Errorf("mail: no template %q", e.Template)
	}
	args, err := Seal(o.ring, o.hasher, e)
	if err != nil {
		return err
	}
	if _, err := o.client.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("enqueue %s email: %w", e.Template, err)
	}
	return nil
}

// Job is e sealed as a job to insert with others in one InsertManyTx,
// for work that queues an email along with jobs of its own.
func (o *Outbox) Job(e Email) (river.InsertManyParams, error) {
	if !o.renders.Has(e.Template) {
		return river.InsertManyParams{}, fmt.Errorf("mail: no template %q", e.Template)
	}
	args, err := Seal(o.ring, o.hasher, e)
	if err != nil {
		return river.InsertManyParams{}, err
	}
	return river.InsertManyParams{Args: args}, nil
}

// Batch collects composed emails to enqueue together, in one insert, for
// work that queues many in one transaction (the signup queue's batches).
type Batch struct {
	o      *Outbox
	params []river.InsertManyParams
}

// Batch returns an empty batch for o.
func (o *Outbox) Batch() *Batch { return &Batch{o: o} }

// Compose adds the email args names to the batch; like Outbox.Compose,
// but nothing is inserted until Flush.
func (b *Batch) Compose(_ context.Context, _ pgx.Tx, args ComposeArgs) error {
	job, err := b.o.ComposeJob(args)
	if err != nil {
		return err
	}
	b.params = append(b.params, job)
	return nil
}

// Len is how many emails the batch holds.
func (b *Batch) Len() int { return len(b.params) }

// Truncate drops the emails added after the batch held n, those of work
// that was rolled back.
func (b *Batch) Truncate(n int) { b.params = b.params[:n] }

// Flush inserts the batch's emails within tx and empties it.
func (b *Batch) Flush(ctx context.Context, tx pgx.Tx) error {
	if len(b.params) == 0 {
		return nil
	}
	if _, err := b.o.client.InsertManyTx(ctx, tx, b.params); err != nil {
		return fmt.Errorf("enqueue %d emails: %w", len(b.params), err)
	}
	b.params = b.params[:0]
	return nil
}
