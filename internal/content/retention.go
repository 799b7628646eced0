package content

import (
	"context"
	"fmt"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Purge deletes enquiries received longer ago than the retention period,
// handled or not, and the records of form tokens that have expired. It is
// a jobs.Purger: the hourly retention job runs it. Each deletion is audited
// as a count, never with the data.
func (e *Enquiries) Purge(ctx context.Context) (int64, error) {
	now := e.now()
	before := now.Add(-e.retention)
	var n int64
	err := store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		var err error
		if n, err = store.Q.EnquiryPurge(ctx, tx, before); err != nil {
			return fmt.Errorf("purge enquiries: %w", err)
		}
		if _, err := store.Q.EnquiryFormTokenPurge(ctx, tx, now); err != nil {
			return fmt.Errorf("purge form tokens: %w", err)
		}
		if n == 0 {
			return nil
		}
		return audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorSystem}, audit.Event{Action: "enquiry.purge", TargetType: "enquiry",
			Details: map[string]any{"count": n, "received_before": before.UTC().Format(time.RFC3339)}})
	})
	return n, err
}
