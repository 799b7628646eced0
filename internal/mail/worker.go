package mail

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// Worker sends outbox email.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	renderer  *Renderer
	transport Transport
	from      string
}

// NewWorker returns a Worker rendering with renderer and sending from from.
func NewWorker(renderer *Renderer, transport Transport, from string) *Worker {
	return &Worker{renderer: renderer, transport: transport, from: from}
}

// Timeout bounds one attempt; the SMTP timeouts are shorter.
func (w *Worker) Timeout(*river.Job[SendArgs]) time.Duration { return 2 * time.Minute }

// Work renders and sends one email. A failure returns an error, so River
// retries with exponential back-off and, after the last attempt, keeps the
// job as discarded for staff to see.
func (w *Worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	r, err := w.renderer.Render(job.Args.Template, job.Args.Data, job.Args.UnsubscribeURL)
	if err != nil {
		return river.JobCancel(err) // retrying cannot fix a template error
	}
	return w.transport.Send(ctx, Message{From: w.from, To: job.Args.To, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		UnsubscribeURL: job.Args.UnsubscribeURL, Attachments: job.Args.Attachments})
}
