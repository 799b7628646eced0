// Package jobs runs background work on River, in the same PostgreSQL as
// everything else, so a job is enqueued in the same transaction as the
// change that causes it and is never lost or sent for a change that rolled
// back.
package jobs

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Queues. Mail has its own so a slow mail server never holds up other work;
// so have outgoing webhooks, whose receivers may be slow too.
const (
	QueueDefault  = river.QueueDefault
	QueueMail     = "mail"
	QueueWebhooks = "webhooks"
)

// Client is the River client type used throughout.
type Client = river.Client[pgx.Tx]

// NewClient returns a River client working the service's queues. Workers
// may still be added to workers until the client starts. Completed and
// cancelled jobs are deleted retention after they finished (River's
// cleaner looks every 30 s): an email job holds its message sealed, but a
// row per email sent is most of what a member would otherwise cost the
// database, and nothing reads them once done.
//
// mailWorkers emails are sent at once: each mostly waits on the mail
// server, so more than the other queues' workers.
func NewClient(pool *pgxpool.Pool, workers *river.Workers, periodic []*river.PeriodicJob, retention time.Duration, mailWorkers int, logger *slog.Logger) (*Client, error) {
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		// River fetches at most MaxWorkers jobs per FetchCooldown, so the
		// product bounds throughput: 20 workers every 20 ms is 1,000 jobs/s.
		Queues: map[string]river.QueueConfig{
			QueueDefault: {MaxWorkers: 20, FetchCooldown: 20 * time.Millisecond},
			QueueMail:    {MaxWorkers: mailWorkers, FetchCooldown: 20 * time.Millisecond},
			// One webhook pump per endpoint sends up to 16 deliveries at
			// once; few run together, as each takes database connections
			// that signups need too.
			QueueWebhooks: {MaxWorkers: 10, FetchCooldown: 20 * time.Millisecond},
		},
		Workers:                     workers,
		PeriodicJobs:                periodic,
		Logger:                      logger,
		JobTimeout:                  time.Minute,
		CompletedJobRetentionPeriod: retention,
		CancelledJobRetentionPeriod: retention,
		// Failed jobs retry with River's exponential back-off; after
		// MaxAttempts they are discarded and kept a week for staff to see.
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
		MaxAttempts:                 12,
		// A job left running by a process that died is retried after this
		// (longer than JobTimeout, so no live job is ever taken over).
		RescueStuckJobsAfter: 5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return client, nil
}
