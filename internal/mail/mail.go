// Package mail sends email through a transactional outbox: capabilities
// enqueue an Email in the same transaction as the change that causes it,
// and a River worker renders and sends it, retrying with back-off, so a
// mail server that is down or slow never fails or slows a request.
package mail

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Email is one message to send, by template name.
type Email struct {
	Template string
	To       string
	// Data fills the template. Keep it to what the email shows.
	Data map[string]any
	// UnsubscribeURL, when set, becomes a one-click List-Unsubscribe
	// (RFC 8058) header and the footer link.
	UnsubscribeURL string
	// Attachments are small files such as calendar invitations.
	Attachments []Attachment
}

// Attachment is a file sent with an email.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content"`
}

// SendArgs is the outbox job. Its rows are deleted a day after sending
// (River's completed-job retention), so addresses do not linger.
type SendArgs struct {
	Template       string         `json:"template"`
	To             string         `json:"to"`
	Data           map[string]any `json:"data"`
	UnsubscribeURL string         `json:"unsubscribe_url,omitempty"`
	Attachments    []Attachment   `json:"attachments,omitempty"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "mail.send" }

// InsertOpts puts mail on its own queue.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "mail", MaxAttempts: 12}
}

// Outbox enqueues email.
type Outbox struct {
	client  *river.Client[pgx.Tx]
	renders *Renderer
}

// NewOutbox returns an Outbox inserting through client. It checks each
// email's template exists at enqueue time, so a typo fails the request
// (and its transaction) rather than a job much later.
func NewOutbox(client *river.Client[pgx.Tx], renderer *Renderer) *Outbox {
	return &Outbox{client: client, renders: renderer}
}

// Enqueue adds e to the outbox within tx.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, e Email) error {
	if !o.renders.Has(e.Template) {
		return fmt.Errorf("mail: no template %q", e.Template)
	}
	_, err := o.client.InsertTx(ctx, tx, SendArgs(e), nil)
	if err != nil {
		return fmt.Errorf("enqueue %s email: %w", e.Template, err)
	}
	return nil
}
