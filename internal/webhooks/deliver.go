package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/jobs"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// How pumps work through an endpoint's deliveries.
const (
	// pumpBudget is how long one pump job sends before it makes way for
	// other endpoints' pumps (it is queued again at once if more are due).
	pumpBudget = 20 * time.Second
	// batchSize deliveries are claimed, sent and recorded together.
	batchSize = 100
	// pumpTimeout bounds a pump job: its budget, then a last batch of
	// batchSize / Concurrency rounds of attempts of at most Timeout each.
	pumpTimeout = 3 * time.Minute
	// lease: claimed deliveries fall due again after this if their pump's
	// process dies mid-batch (longer than a pump may run).
	lease = 5 * time.Minute
	// sweepEvery, the sweeper queues a pump for every endpoint with
	// deliveries due whose pump is not queued (a retry falling due, or an
	// event that arrived as its pump finished). A pump whose next
	// delivery is due sooner waits for it itself.
	sweepEvery = 10 * time.Second
	// linger: a pump that sent something waits this long for more before
	// it finishes, because an event whose fan-out found the pump running
	// queues no other: had the pump finished, its delivery would wait for
	// the sweeper.
	linger = 300 * time.Millisecond
)

// FanoutArgs makes an event's deliveries.
type FanoutArgs struct {
	EventID uuid.UUID `json:"event_id"`
}

// Kind implements river.JobArgs.
func (FanoutArgs) Kind() string { return "webhooks.fanout" }

// InsertOpts implements river.JobArgsWithInsertOpts: webhook work has its
// own queue, so it never holds up signups or email.
func (FanoutArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueWebhooks} }

// PumpArgs sends an endpoint's due deliveries. At most one is queued or
// running per endpoint.
type PumpArgs struct {
	EndpointID uuid.UUID `json:"endpoint_id"`
}

// Kind implements river.JobArgs.
func (PumpArgs) Kind() string { return "webhooks.deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts. Unique among jobs
// that are waiting or running (not completed ones, as River's default
// would, or no pump could follow a finished one for a day).
func (PumpArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueWebhooks, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// SweepArgs is the periodic sweep (see sweepEvery).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "webhooks.sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueWebhooks} }

// AddWorkers registers the webhooks' workers.
func (s *Service) AddWorkers(workers *river.Workers) {
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[FanoutArgs]) error {
		return store.WithTx(ctx, s.work, func(tx pgx.Tx) error {
			endpoints, err := store.Q.WebhookDeliveriesCreate(ctx, tx, job.Args.EventID)
			if err != nil {
				return fmt.Errorf("webhook fan-out: %w", err)
			}
			return s.kick(ctx, tx, endpoints...)
		})
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[SweepArgs]) error {
		return store.WithTx(ctx, s.work, func(tx pgx.Tx) error {
			endpoints, err := store.Q.WebhookEndpointsDue(ctx, tx, s.now())
			if err != nil {
				return fmt.Errorf("webhook sweep: %w", err)
			}
			return s.kick(ctx, tx, endpoints...)
		})
	}))
	river.AddWorker(workers, &pumpWorker{s: s})
}

type pumpWorker struct {
	river.WorkerDefaults[PumpArgs]
	s *Service
}

// Timeout implements river.Worker.
func (*pumpWorker) Timeout(*river.Job[PumpArgs]) time.Duration { return pumpTimeout }

// Work implements river.Worker.
func (w *pumpWorker) Work(ctx context.Context, job *river.Job[PumpArgs]) error {
	return w.s.pump(ctx, job)
}

// PeriodicJobs are the webhooks' scheduled jobs: the sweeper.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
}

// kick queues a pump for each endpoint that has none queued or running.
func (s *Service) kick(ctx context.Context, tx pgx.Tx, endpoints ...uuid.UUID) error {
	if len(endpoints) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(endpoints))
	for i, id := range endpoints {
		params[i] = river.InsertManyParams{Args: PumpArgs{EndpointID: id}}
	}
	if _, err := s.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return nil
}

// pump sends an endpoint's due deliveries, a batch at a time, for up to
// pumpBudget.
func (s *Service) pump(ctx context.Context, job *river.Job[PumpArgs]) error {
	id := job.Args.EndpointID
	sent := false
	for stop := time.Now().Add(pumpBudget); time.Now().Before(stop); sent = true {
		ep, err := store.Q.WebhookEndpointGet(ctx, s.work, id)
		if store.IsNotFound(err) || (err == nil && !ep.Enabled) {
			return nil // deleted or disabled: enabling it queues a pump again
		}
		if err != nil {
			return fmt.Errorf("webhook pump: %w", err)
		}
		now := s.now()
		batch, err := store.Q.WebhookDeliveriesClaim(ctx, s.work, store.WebhookDeliveriesClaimParams{LeaseUntil: now.Add(lease), EndpointID: id, Now: now, Batch: batchSize})
		if err != nil {
			return fmt.Errorf("webhook pump: %w", err)
		}
		if len(batch) == 0 && sent {
			return river.JobSnooze(linger)
		}
		if len(batch) == 0 {
			return s.idle(ctx, id)
		}
		if err := s.deliverBatch(ctx, ep, batch); err != nil {
			return err
		}
	}
	return river.JobSnooze(0)
}

// idle ends a pump with nothing due: it waits for the next retry itself
// if that is due before the sweeper comes round, and otherwise finishes.
func (s *Service) idle(ctx context.Context, id uuid.UUID) error {
	next, err := store.Q.WebhookDeliveryNextDue(ctx, s.work, id)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhook pump: %w", err)
	}
	if wait := next.Sub(s.now()); wait <= sweepEvery {
		return river.JobSnooze(max(wait, 0))
	}
	return nil
}

// result is one attempt's outcome.
type result struct {
	at        time.Time
	latency   time.Duration
	status    int
	err       string
	ok        bool
	cancelled bool // the event was wiped: not sent
}

// deliverBatch sends a claimed batch, at most Concurrency at a time, and
// records the outcomes.
func (s *Service) deliverBatch(ctx context.Context, ep store.WebhookEndpoint, batch []store.WebhookDeliveriesClaimRow) error {
	keys, err := s.signingKeys(ep)
	if err != nil {
		return err
	}
	results := make([]result, len(batch))
	sem := make(chan struct{}, s.settings.Concurrency)
	var wg sync.WaitGroup
	for i, d := range batch {
		if d.PayloadSealed == nil {
			results[i] = result{cancelled: true}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = s.attempt(ctx, ep.Url, keys, d)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil { // stopping: hand the batch back rather than count attempts cut short
		ids := make([]int64, len(batch))
		for i, d := range batch {
			ids[i] = d.ID
		}
		_ = store.Q.WebhookDeliveriesRelease(context.WithoutCancel(ctx), s.work, store.WebhookDeliveriesReleaseParams{Now: s.now(), Ids: ids})
		return ctx.Err()
	}
	return s.record(ctx, ep, batch, results)
}

// signingKeys are the endpoint's current secret and, while a rotation's
// overlap lasts, the previous one.
func (s *Service) signingKeys(ep store.WebhookEndpoint) ([][]byte, error) {
	sealed := [][]byte{ep.SecretSealed}
	if ep.PreviousSecretSealed != nil && ep.PreviousSecretExpiresAt != nil && ep.PreviousSecretExpiresAt.After(s.now()) {
		sealed = append(sealed, ep.PreviousSecretSealed)
	}
	var keys [][]byte
	for _, b := range sealed {
		secret, err := s.ring.OpenString(b, secretContext(ep.ID))
		if err != nil {
			return nil, fmt.Errorf("webhook secret %s: %w", ep.ID, err)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return nil, fmt.Errorf("webhook secret %s: %w", ep.ID, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// Signature is the webhook-signature header value: a Standard Webhooks
// v1 signature (HMAC-SHA256 of "id.timestamp.body", base64) by each key,
// separated by spaces.
func Signature(keys [][]byte, msgID string, timestamp int64, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}

// attempt sends one delivery once.
func (s *Service) attempt(ctx context.Context, url string, keys [][]byte, d store.WebhookDeliveriesClaimRow) result {
	start := time.Now()
	r := result{at: start}
	body, err := s.ring.Open(d.PayloadSealed, payloadContext(d.EventID))
	if err != nil {
		r.err = "internal error: the event could not be read"
		return r
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		r.err = "invalid URL"
		return r
	}
	msgID := MessageID(d.EventID)
	req.Header = http.Header{
		"Content-Type":      {"application/json"},
		"User-Agent":        {"HPA-Webhooks/1"},
		"Webhook-Id":        {msgID},
		"Webhook-Timestamp": {strconv.FormatInt(start.Unix(), 10)},
		"Webhook-Signature": {Signature(keys, msgID, start.Unix(), body)},
	}
	resp, err := s.client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
		_ = resp.Body.Close()
		r.status = resp.StatusCode
		r.ok = resp.StatusCode >= 200 && resp.StatusCode < 300
		if !r.ok {
			r.err = "answered " + strconv.Itoa(resp.StatusCode) + " (only 2xx counts as delivered; redirects are not followed)"
		}
	} else {
		r.err = describe(err, s.settings.Timeout)
	}
	r.latency = time.Since(start)
	return r
}

// describe says why an attempt failed, without anything the receiver
// sent.
func describe(err error, timeout time.Duration) string {
	var netErr net.Error
	switch {
	case errors.Is(err, errRefusedAddress):
		return errRefusedAddress.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out (each attempt may take " + timeout.String() + ")"
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// record stores a batch's outcomes and the endpoint's health, and disables
// the endpoint if it has failed for (nearly) the whole retry schedule.
func (s *Service) record(ctx context.Context, ep store.WebhookEndpoint, batch []store.WebhookDeliveriesClaimRow, results []result) error {
	var p store.WebhookDeliveriesRecordParams
	var cancelled []int64
	succeeded, failed, exhausted := false, false, false
	now := s.now()
	for i, d := range batch {
		r := results[i]
		if r.cancelled {
			cancelled = append(cancelled, d.ID)
			continue
		}
		status, step, next := "succeeded", d.Step, r.at
		switch {
		case r.ok:
			succeeded = true
		case int(d.Step) < len(s.settings.RetryDelays):
			failed = true
			status, step, next = "pending", d.Step+1, now.Add(jitter(s.settings.RetryDelays[d.Step]))
		default:
			failed, exhausted = true, true
			status = "failed"
		}
		p.Ids = append(p.Ids, d.ID)
		p.Statuses = append(p.Statuses, status)
		p.Steps = append(p.Steps, step)
		p.NextAttempts = append(p.NextAttempts, next)
		p.Attempted = append(p.Attempted, r.at)
		p.ResponseStatuses = append(p.ResponseStatuses, int32(r.status))
		p.Latencies = append(p.Latencies, int32(r.latency.Milliseconds()))
		p.Errors = append(p.Errors, r.err)
	}
	return store.WithTx(context.WithoutCancel(ctx), s.work, func(tx pgx.Tx) error {
		if err := store.Q.WebhookDeliveriesRecord(ctx, tx, p); err != nil {
			return fmt.Errorf("record webhook attempts: %w", err)
		}
		if len(cancelled) > 0 {
			if err := store.Q.WebhookDeliveriesCancel(ctx, tx, store.WebhookDeliveriesCancelParams{Ids: cancelled, Reason: ptr("cancelled: the person withdrew consent or asked to be erased")}); err != nil {
				return fmt.Errorf("record webhook attempts: %w", err)
			}
		}
		if !succeeded && !failed {
			return nil
		}
		if err := store.Q.WebhookEndpointHealth(ctx, tx, store.WebhookEndpointHealthParams{ID: ep.ID, Succeeded: succeeded, Now: &now}); err != nil {
			return fmt.Errorf("record webhook attempts: %w", err)
		}
		if !exhausted {
			return nil
		}
		return s.disableIfFailing(ctx, tx, ep.ID, now)
	})
}

// disableIfFailing disables an endpoint that has failed every attempt for
// nine tenths of the retry schedule, and tells its organisation.
func (s *Service) disableIfFailing(ctx context.Context, tx pgx.Tx, id uuid.UUID, now time.Time) error {
	var schedule time.Duration
	for _, d := range s.settings.RetryDelays {
		schedule += d
	}
	since := now.Add(-schedule * 9 / 10)
	row, err := store.Q.WebhookEndpointDisableFailing(ctx, tx, store.WebhookEndpointDisableFailingParams{ID: id, Since: &since})
	if store.IsNotFound(err) {
		return nil // it worked in between, or is disabled already
	}
	if err != nil {
		return fmt.Errorf("disable webhook endpoint: %w", err)
	}
	if err := audit.RecordAs(ctx, tx, audit.Actor{Type: audit.ActorSystem}, audit.Event{Action: "webhook_endpoint.disable", TargetType: "webhook_endpoint",
		TargetID: id.String(), Details: map[string]any{"reason": "failing"}}); err != nil {
		return err
	}
	return s.notifyDisabled(ctx, tx, row)
}

// notifyDisabled emails the organisation's contact, or HPA's when it has
// none, that its endpoint was disabled.
func (s *Service) notifyDisabled(ctx context.Context, tx pgx.Tx, ep store.WebhookEndpoint) error {
	to, name := s.settings.NotifyTo, ""
	if ep.OrganisationID != nil {
		orgName, contact, err := s.orgs.OrganisationContact(ctx, *ep.OrganisationID)
		if err != nil {
			return err
		}
		name = orgName
		if contact != "" {
			to = []string{contact}
		}
	}
	since := ""
	if ep.FailingSince != nil {
		since = ep.FailingSince.UTC().Format("2 January 2006 15:04 UTC")
	}
	for _, addr := range to {
		err := s.outbox.Enqueue(ctx, tx, mail.Email{Template: "webhook-endpoint-disabled", To: addr, Data: map[string]any{
			"Organisation": name, "URL": ep.Url, "EndpointID": ep.ID.String(), "FailingSince": since}})
		if err != nil {
			return fmt.Errorf("tell of disabled webhook endpoint: %w", err)
		}
	}
	return nil
}

// jitter spreads retries by up to a tenth either way, so that a receiver
// coming back is not met by every retry at once.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d))
}
