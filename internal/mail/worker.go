package mail

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/riverqueue/river"
)

// Sender renders an email and sends it: the last step of both outbox
// workers.
type Sender struct {
	renderer  *Renderer
	transport Transport
	from      string
}

// NewSender returns a Sender rendering with renderer and sending from from.
func NewSender(renderer *Renderer, transport Transport, from string) *Sender {
	return &Sender{renderer: renderer, transport: transport, from: from}
}

// Send renders e and sends it. A template error cancels the job (retrying
// cannot fix it); a transport error is returned without the address.
func (s *Sender) Send(ctx context.Context, e Email) error {
	oneClick, page := e.UnsubscribeURL, ""
	if e.Unsubscribe != nil {
		oneClick, page = e.Unsubscribe.OneClick, e.Unsubscribe.Page
	}
	r, err := s.renderer.Render(e.Template, e.Data, page)
	if err != nil {
		return river.JobCancel(err)
	}
	err = s.transport.Send(ctx, Message{From: s.from, To: e.To, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		UnsubscribeURL: oneClick, Attachments: e.Attachments})
	return withoutAddress(err, e.To)
}

// Worker sends sealed outbox email.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	sender *Sender
	ring   *sealed.Ring
}

// NewWorker returns a Worker sending with sender; ring opens the sealed
// jobs.
func NewWorker(sender *Sender, ring *sealed.Ring) *Worker {
	return &Worker{sender: sender, ring: ring}
}

// attemptTimeout bounds one attempt of either outbox worker; the SMTP
// timeouts are shorter.
const attemptTimeout = 2 * time.Minute

// Timeout bounds one attempt (attemptTimeout).
func (w *Worker) Timeout(*river.Job[SendArgs]) time.Duration { return attemptTimeout }

// Work renders and sends one email. A failure returns an error, so River
// retries with exponential back-off and, after the last attempt, keeps the
// job as discarded for staff to see.
func (w *Worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	e, err := Open(w.ring, job.Args)
	if err != nil {
		return river.JobCancel(err) // a key no longer configured does not come back by retrying
	}
	return w.sender.Send(ctx, e)
}

// withoutAddress is err with every mention of the address to replaced.
// River keeps each failed attempt's error in the job row, for a week once
// the job is discarded, and both go-mail ("affected recipient(s): …") and
// mail servers ("550 <…>: no such user") name the recipient in theirs;
// the row is meant to hold the address only sealed.
func withoutAddress(err error, to string) error {
	if err == nil || to == "" {
		return err
	}
	address := regexp.MustCompile("(?i)" + regexp.QuoteMeta(to))
	msg := err.Error()
	if !address.MatchString(msg) {
		return err
	}
	return errors.New(address.ReplaceAllLiteralString(msg, "<recipient>"))
}
