package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/stripemock"
)

// The write paths the suite drives, as named in its report.
const (
	pathSignup       = "public signup"
	pathPartner      = "partner signup (Idempotency-Key, retried)"
	pathConfirm      = "confirmation"
	pathBeacon       = "single beacon"
	pathBatch        = "durable batch with IDs"
	pathWebhook      = "Stripe webhook (each sent twice)"
	pathRegistration = "registration at capacity"
	pathEmail        = "email outbox"
)

// attempt is one HTTP request and how it ended (status 0: no answer).
type attempt struct {
	start, end time.Time
	status     int
	retryAfter bool
}

func (a attempt) failed() bool { return a.status == 0 || a.status >= 500 }

// op is one logical write: an acknowledged op must be in the database
// exactly once, whatever its attempts went through.
type op struct {
	path  string
	phase int
	id    string // what names its record in the database
	acked bool
	ackAt time.Time
	note  string // a registration's status; an opportunity
}

// driver sends the load and remembers every attempt and op.
type driver struct {
	url           string
	client        *http.Client
	apiKey        string
	webhookSecret string
	mailbox       *mailtest.Server
	run           string // unique to this run, in every ID
	phase         atomic.Int64
	opportunity   atomic.Pointer[string]
	retryFor      time.Duration

	mu       sync.Mutex
	attempts []attempt
	ops      []*op
	names    map[string]string // signup address → member name
}

func newDriver(url string, mailbox *mailtest.Server, retryFor time.Duration) *driver {
	return &driver{
		url: url, mailbox: mailbox, retryFor: retryFor, names: map[string]string{},
		run:    strconv.FormatInt(time.Now().Unix()%1e6, 36),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
}

func (d *driver) newOp(path, id string) *op {
	o := &op{path: path, id: id, phase: int(d.phase.Load())}
	d.mu.Lock()
	d.ops = append(d.ops, o)
	d.mu.Unlock()
	return o
}

func (d *driver) ack(o *op, note string) {
	d.mu.Lock()
	o.acked, o.ackAt, o.note = true, time.Now(), note
	d.mu.Unlock()
}

// send makes one attempt and records it.
func (d *driver) send(ctx context.Context, method, path string, body []byte, header http.Header) (int, []byte) {
	a := attempt{start: time.Now()}
	req, err := http.NewRequestWithContext(ctx, method, d.url+path, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	var out []byte
	if r, err := d.client.Do(req); err == nil {
		out, _ = io.ReadAll(r.Body)
		r.Body.Close()
		a.status, a.retryAfter = r.StatusCode, r.Header.Get("Retry-After") != ""
	}
	a.end = time.Now()
	if ctx.Err() != nil && a.status == 0 {
		return 0, nil // the suite stopped, not the service
	}
	d.mu.Lock()
	d.attempts = append(d.attempts, a)
	d.mu.Unlock()
	return a.status, out
}

// retry calls try until it reports done or retryFor passes, waiting
// between attempts as a client honouring Retry-After would (capped at a
// second so the suite measures recovery finely).
func (d *driver) retry(ctx context.Context, try func() bool) {
	deadline := time.Now().Add(d.retryFor)
	for !try() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// loop runs f with increasing n until stop closes, pausing between calls.
func loop(stop <-chan struct{}, pause time.Duration, next *atomic.Int64, f func(n int64)) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(pause):
		}
		f(next.Add(1))
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (d *driver) signupBody(email, name string) map[string]any {
	d.mu.Lock()
	d.names[email] = name
	d.mu.Unlock()
	return map[string]any{"email": email, "name": name, "membership_consent": true,
		"consent_version": members.MembershipConsent.Version, "interests": []string{"surveys"}}
}

// signup is a website signup: a browser form, not retried.
func (d *driver) signup(ctx context.Context, n int64) {
	name := fmt.Sprintf("faults s %s %d", d.run, n)
	o := d.newOp(pathSignup, name)
	body := mustJSON(d.signupBody(fmt.Sprintf("s%d.%s@example.org", n, d.run), name))
	if status, _ := d.send(ctx, http.MethodPost, "/v1/members", body, nil); status == http.StatusAccepted {
		d.ack(o, "")
	}
}

// partner is a partner's server signing someone up: it retries with the
// same Idempotency-Key until answered, then sends once more, as a
// client whose answer was lost would.
func (d *driver) partner(ctx context.Context, n int64) {
	name := fmt.Sprintf("faults p %s %d", d.run, n)
	o := d.newOp(pathPartner, name)
	body := mustJSON(d.signupBody(fmt.Sprintf("p%d.%s@example.org", n, d.run), name))
	h := http.Header{"X-Api-Key": {d.apiKey}, "Idempotency-Key": {uuid.NewString()}}
	d.retry(ctx, func() bool {
		status, _ := d.send(ctx, http.MethodPost, "/v1/partner/members", body, h)
		if status == http.StatusAccepted {
			d.ack(o, "")
		}
		return status == http.StatusAccepted
	})
	if o.acked {
		d.send(ctx, http.MethodPost, "/v1/partner/members", body, h)
	}
}

var confirmToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// confirmations confirms each membership whose confirmation email has
// arrived, retrying until answered.
func (d *driver) confirmations(ctx context.Context, stop <-chan struct{}) {
	seen := 0
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		msgs := d.mailbox.Messages()
		for _, m := range msgs[seen:] {
			match := confirmToken.FindStringSubmatch(m.Text)
			if match == nil || !strings.Contains(m.Subject, "confirm") || len(m.To) != 1 {
				continue
			}
			d.mu.Lock()
			name := d.names[strings.ToLower(m.To[0])]
			d.mu.Unlock()
			if name == "" {
				continue
			}
			o := d.newOp(pathConfirm, name)
			body := mustJSON(map[string]string{"token": match[1]})
			d.retry(ctx, func() bool {
				status, _ := d.send(ctx, http.MethodPost, "/v1/members/confirm", body, nil)
				if status == http.StatusOK {
					d.ack(o, "")
				}
				return status > 0 && status < 500
			})
		}
		seen = len(msgs)
	}
}

// browser is a User-Agent the visit classifier counts as a person.
const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

// beacon is a browser's page view: sent once, never retried.
func (d *driver) beacon(ctx context.Context, n int64) {
	p := fmt.Sprintf("/b/%s/%d", d.run, n)
	o := d.newOp(pathBeacon, p)
	body := mustJSON(map[string]string{"url": "https://www.faults.example" + p})
	if status, _ := d.send(ctx, http.MethodPost, "/v1/events", body, http.Header{"User-Agent": {browser}}); status == http.StatusAccepted {
		d.ack(o, "")
	}
}

// batchSize is how many events each durable batch holds.
const batchSize = 5

// batch is a server-side sender's durable batch, sent again with the same
// IDs until answered 200.
func (d *driver) batch(ctx context.Context, n int64) {
	p := fmt.Sprintf("/d/%s/%d/", d.run, n)
	o := d.newOp(pathBatch, p)
	events := make([]map[string]string, batchSize)
	for i := range events {
		events[i] = map[string]string{"id": fmt.Sprintf("%s-%d-%d", d.run, n, i), "url": fmt.Sprintf("https://www.faults.example%s%d", p, i), "user_agent": browser}
	}
	body := mustJSON(map[string]any{"durable": true, "events": events})
	d.retry(ctx, func() bool {
		status, _ := d.send(ctx, http.MethodPost, "/v1/events/batch", body, nil)
		if status == http.StatusOK {
			d.ack(o, "")
		}
		return status == http.StatusOK
	})
}

// webhook delivers a paid checkout as Stripe does: again until answered
// 200, then once more (Stripe delivers at least once).
func (d *driver) webhook(ctx context.Context, n int64) {
	id := fmt.Sprintf("evt_faults_%s_%d", d.run, n)
	pi := fmt.Sprintf("pi_faults_%s_%d", d.run, n)
	o := d.newOp(pathWebhook, pi)
	payload := stripemock.Event(id, "checkout.session.completed", time.Now(), map[string]any{
		"id": "cs_faults_" + pi, "object": "checkout.session", "mode": "payment", "status": "complete", "payment_status": "paid",
		"amount_total": 1000 + n, "currency": "gbp", "customer": "cus_" + pi, "payment_intent": pi,
		"customer_details": map[string]any{"email": fmt.Sprintf("d%d.%s@example.org", n, d.run), "name": "Faults Donor"},
		"metadata":         map[string]any{"hpa_campaign": "general"},
	})
	deliver := func() int {
		h := http.Header{"Stripe-Signature": {stripemock.Sign(payload, time.Now(), d.webhookSecret)}}
		status, _ := d.send(ctx, http.MethodPost, "/v1/webhooks/stripe", payload, h)
		return status
	}
	d.retry(ctx, func() bool {
		if deliver() != http.StatusOK {
			return false
		}
		d.ack(o, "")
		return true
	})
	if o.acked {
		d.retry(ctx, func() bool { return deliver() == http.StatusOK })
	}
}

// register signs someone up for the current phase's event, retrying
// (with the same address) until answered.
func (d *driver) register(ctx context.Context, n int64) {
	opp := d.opportunity.Load()
	if opp == nil {
		return
	}
	name := fmt.Sprintf("faults r %s %d", d.run, n)
	o := d.newOp(pathRegistration, name)
	body := mustJSON(map[string]string{"name": name, "email": fmt.Sprintf("r%d.%s@example.org", n, d.run)})
	d.retry(ctx, func() bool {
		status, out := d.send(ctx, http.MethodPost, "/v1/opportunities/"+*opp+"/registrations", body, nil)
		if status != http.StatusCreated {
			return false
		}
		var reg struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(out, &reg)
		d.ack(o, reg.Status)
		return true
	})
}
