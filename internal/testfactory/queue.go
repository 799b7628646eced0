package testfactory

import (
	"io/fs"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// Queue is the job client and email outbox of a capability-level test:
// jobs are queued and never worked by River; tests run the workers
// themselves.
type Queue struct {
	Workers  *river.Workers
	Jobs     *jobs.Client
	Renderer *mail.Renderer
	Outbox   *mail.Outbox
}

// NewQueue builds a Queue on pool whose outbox renders the given email
// templates, sealed with ring and hasher.
func NewQueue(t testing.TB, pool *pgxpool.Pool, ring *sealed.Ring, hasher *sealed.Hasher, templates ...fs.FS) *Queue {
	t.Helper()
	workers := river.NewWorkers()
	client, err := jobs.NewClient(pool, workers, nil, time.Hour, 30, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	renderer, err := mail.NewRenderer(templates...)
	if err != nil {
		t.Fatal(err)
	}
	// Never started: the workers only let the outbox queue.
	sender := mail.NewSender(renderer, nil, "HPA <no-reply@hpa.test>")
	river.AddWorker(workers, mail.NewWorker(sender, ring))
	outbox := mail.NewOutbox(client, renderer, ring, hasher)
	river.AddWorker(workers, outbox.ComposeWorker(sender))
	return &Queue{Workers: workers, Jobs: client, Renderer: renderer, Outbox: outbox}
}
