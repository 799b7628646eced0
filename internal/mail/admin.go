package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// QueuedEmail is an outbox entry as staff see it: the recipient is masked.
type QueuedEmail struct {
	ID          int64
	Template    string
	To          string // masked: s***@example.org
	State       string
	Attempts    int
	MaxAttempts int
	LastError   string
	CreatedAt   time.Time
	NextAttempt time.Time
}

// Admin shows staff the outbox: what is waiting to retry and what failed
// for good (the dead letters), and lets them retry.
type Admin struct {
	client *river.Client[pgx.Tx]
	pool   *pgxpool.Pool
	outbox *Outbox
}

// NewAdmin returns an Admin of outbox; it opens the sealed jobs, and
// writes the composed ones, to show whom each is for, masked.
func NewAdmin(outbox *Outbox, pool *pgxpool.Pool) *Admin {
	return &Admin{client: outbox.client, pool: pool, outbox: outbox}
}

// outboxKinds are the kinds of job that send email.
var outboxKinds = []string{SendArgs{}.Kind(), ComposeArgs{}.Kind()}

// States staff can list.
var States = []string{"retryable", "discarded", "available", "scheduled", "running", "completed", "cancelled"}

// List returns outbox entries in state, oldest first, after the given ID.
func (a *Admin) List(ctx context.Context, state string, limit int) ([]QueuedEmail, error) {
	params := river.NewJobListParams().Kinds(outboxKinds...).States(rivertype.JobState(state)).First(limit).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc)
	res, err := a.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	out := make([]QueuedEmail, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		template, to := a.recipient(ctx, j)
		q := QueuedEmail{ID: j.ID, Template: template, To: to, State: string(j.State), Attempts: j.Attempt,
			MaxAttempts: j.MaxAttempts, CreatedAt: j.CreatedAt, NextAttempt: j.ScheduledAt}
		if n := len(j.Errors); n > 0 {
			q.LastError = j.Errors[n-1].Error
		}
		out = append(out, q)
	}
	return out, nil
}

// Retry schedules a failed or waiting email to be sent again now.
func (a *Admin) Retry(ctx context.Context, id int64) error {
	row, err := a.client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) || (err == nil && !slices.Contains(outboxKinds, row.Kind)) {
		return hpa.Errorf(hpa.ENOTFOUND, "no outbox email with that ID")
	}
	if err != nil {
		return fmt.Errorf("retry email: %w", err)
	}
	if _, err := a.client.JobRetry(ctx, id); err != nil {
		return fmt.Errorf("retry email: %w", err)
	}
	return audit.Record(ctx, a.pool, audit.Event{Action: "outbox.retry", TargetType: "email", TargetID: fmt.Sprint(id)})
}

// recipient is the template of an outbox job and whom it is for, masked
// ("***" when that cannot be told: a composed email whose member was
// erased or whose link was used).
func (a *Admin) recipient(ctx context.Context, j *rivertype.JobRow) (template, to string) {
	to = "***"
	if j.Kind == (ComposeArgs{}).Kind() {
		var args ComposeArgs
		_ = json.Unmarshal(j.EncodedArgs, &args)
		if e, err := a.outbox.compose(ctx, args); err == nil && e != nil {
			to = mask(e.To)
		}
		return args.Template, to
	}
	var args SendArgs
	_ = json.Unmarshal(j.EncodedArgs, &args)
	if e, err := Open(a.outbox.ring, args); err == nil {
		to = mask(e.To)
	}
	return args.Template, to
}

// mask hides most of an address's local part.
func mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 1 {
		return "***"
	}
	return addr[:1] + "***" + addr[at:]
}
