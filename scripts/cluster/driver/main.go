// Command driver puts mixed load on the service through a load balancer
// while scripts/cluster-test.sh restarts the instances behind it, then
// checks what must hold with any number of instances: no failed request,
// every limit held globally, every cache saw every content change within a
// second, every acknowledged visit counted, each periodic job run once per
// tick, no event overbooked, each Stripe event recorded once. It prints a
// report and exits non-zero if a check failed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

// config is what the script tells the driver.
type config struct {
	lb, db, email, password string
	webhookSecret           string
	instances               []string
	duration                time.Duration
	signupLimit, keyLimit   int
	restarts                int
}

func run() error {
	var c config
	var instances string
	flag.StringVar(&c.lb, "lb", "", "the load balancer's URL")
	flag.StringVar(&instances, "instances", "", "comma-separated URLs of the instances, for direct checks")
	flag.StringVar(&c.db, "db", "", "the primary database's URL")
	flag.StringVar(&c.email, "email", "", "an admin's email")
	flag.StringVar(&c.password, "password", "", "the admin's password")
	flag.DurationVar(&c.duration, "duration", time.Minute, "how long to drive load")
	flag.IntVar(&c.signupLimit, "signup-limit", 20, "HPA_SIGNUP_RATE_LIMIT of the instances")
	flag.IntVar(&c.keyLimit, "key-limit", 30, "the partner key's allowance per minute")
	flag.StringVar(&c.webhookSecret, "webhook-secret", "", "HPA_STRIPE_WEBHOOK_SECRETS of the instances")
	flag.IntVar(&c.restarts, "restarts", 3, "how many instance restarts the script makes")
	flag.Parse()
	c.instances = strings.Split(instances, ",")

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, c.db)
	if err != nil {
		return err
	}
	defer pool.Close()
	cl := &client{http: &http.Client{Timeout: 30 * time.Second}, base: c.lb}
	token, err := cl.login(c.email, c.password)
	if err != nil {
		return err
	}
	key, err := cl.partnerKey(token, c.keyLimit)
	if err != nil {
		return err
	}

	event, err := cl.newEvent(token)
	if err != nil {
		return err
	}
	run := fmt.Sprint(time.Now().UnixNano())

	r := newReport()
	start := time.Now()
	load, stop := context.WithTimeout(ctx, c.duration)
	defer stop()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { readPages(load, cl, r) })
	}
	for range 2 {
		wg.Go(func() { sendBeacons(load, cl, r) })
	}
	wg.Go(func() { signUp(load, cl, r, "signup", "203.0.113.50", "", 100*time.Millisecond) })
	wg.Go(func() { signUp(load, cl, r, "signup-many", "", "", 200*time.Millisecond) })
	wg.Go(func() { signUp(load, cl, r, "partner", "", key, 50*time.Millisecond) })
	wg.Go(func() { changeContent(load, cl, c.instances, token, r) })
	wg.Go(func() { register(load, cl, r, event, 100*time.Millisecond) })
	wg.Go(func() { deliverWebhooks(load, cl, r, run, c.webhookSecret, 100*time.Millisecond) })
	wg.Wait()
	elapsed := time.Since(start)

	r.check("no failed request", r.failures() == 0, fmt.Sprintf("%d requests, %d failed %v", r.total(), r.failures(), r.firstFailures()))
	s := r.get("signup")
	r.check("signups per address held across instances", s.accepted >= c.signupLimit && s.accepted <= c.signupLimit*s.windows,
		fmt.Sprintf("%d accepted, %d refused from one address in %d window(s) of %d", s.accepted, s.refused, s.windows, c.signupLimit))
	p := r.get("partner")
	r.check("partner key allowance held across instances", p.accepted >= c.keyLimit && p.accepted <= c.keyLimit*p.windows,
		fmt.Sprintf("%d accepted, %d refused in %d window(s) of %d", p.accepted, p.refused, p.windows, c.keyLimit))
	ch := r.get("content")
	r.check("every instance saw every content change within a second", ch.accepted > 0 && ch.slowest < time.Second,
		fmt.Sprintf("%d changes seen by every live instance, slowest after %s", ch.accepted, ch.slowest.Round(time.Millisecond)))
	checkBooking(ctx, pool, event, r)
	checkGifts(ctx, pool, run, r)
	checkVisits(ctx, cl, pool, token, r)
	checkPeriodic(ctx, pool, c.restarts, r)
	fmt.Print(r.String(elapsed))
	if !r.passed() {
		return fmt.Errorf("checks failed")
	}
	return nil
}

// client calls the service.
type client struct {
	http *http.Client
	base string
}

// do sends a request and returns the status, headers and body; a
// transport error is status 0.
func (c *client) do(method, url string, body any, header http.Header) (int, http.Header, []byte) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// retry is do, sending the request once more if the connection was lost
// before an answer came (a documented retry case: an instance closing a
// connection as it stops). Only requests that are safe to repeat are
// retried: writes with an Idempotency-Key.
func (c *client) retry(r *report, kind, method, url string, body any, header http.Header) (int, http.Header, []byte) {
	status, h, b := c.do(method, url, body, header)
	if status == 0 {
		r.retried(kind, b)
		status, h, b = c.do(method, url, body, header)
	}
	return status, h, b
}

func (c *client) login(email, password string) (string, error) {
	status, _, body := c.do(http.MethodPost, c.base+"/v1/auth/login", map[string]string{"email": email, "password": password}, nil)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil {
		return "", fmt.Errorf("login: %d %s", status, body)
	}
	return tok.AccessToken, nil
}

// partnerKey makes an organisation and a members:signup key allowed
// perMinute requests.
func (c *client) partnerKey(token string, perMinute int) (string, error) {
	auth := http.Header{"Authorization": {"Bearer " + token}}
	status, _, body := c.do(http.MethodPost, c.base+"/v1/organisations", map[string]string{"name": fmt.Sprintf("Cluster test %d", time.Now().UnixNano())}, auth)
	var org struct{ ID string }
	if status != http.StatusCreated || json.Unmarshal(body, &org) != nil {
		return "", fmt.Errorf("create organisation: %d %s", status, body)
	}
	status, _, body = c.do(http.MethodPost, c.base+"/v1/api-keys", map[string]any{"organisation_id": org.ID, "name": "cluster test",
		"scopes": []string{"members:signup"}, "rate_limit_per_minute": perMinute}, auth)
	var key struct{ Key string }
	if status != http.StatusCreated || json.Unmarshal(body, &key) != nil {
		return "", fmt.Errorf("create API key: %d %s", status, body)
	}
	return key.Key, nil
}
