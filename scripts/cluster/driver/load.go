package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/harmedpatients/hpa/internal/members"
)

const browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"

// readPages reads a page as a browser does, revalidating with its ETag.
func readPages(ctx context.Context, c *client, r *report) {
	etag := ""
	for ctx.Err() == nil {
		status, h, body := c.do(http.MethodGet, c.base+"/v1/pages/donate", nil, http.Header{"If-None-Match": {etag}})
		r.request("page read", status == http.StatusOK || status == http.StatusNotModified, status, body)
		if status == http.StatusOK {
			etag = h.Get("ETag")
		}
	}
}

// randomAddress is a client address of its own for each call.
func randomAddress() string {
	return fmt.Sprintf("198.18.%d.%d", rand.IntN(256), 1+rand.IntN(254))
}

// sendBeacons sends page views, each from a visitor of its own, as a
// browser does: never sent again (a beacon has no ID to count it once).
func sendBeacons(ctx context.Context, c *client, r *report) {
	for ctx.Err() == nil {
		status, _, body := c.do(http.MethodPost, c.base+"/v1/events", `{"url":"https://www.example.org/cluster-test"}`,
			http.Header{"Content-Type": {"text/plain;charset=UTF-8"}, "User-Agent": {browserUA}, "X-Forwarded-For": {randomAddress()}})
		r.request("beacon", status == http.StatusAccepted, status, body)
		if status == http.StatusAccepted {
			r.tally("beacons", true, nil)
		}
	}
}

var signups atomic.Int64

// signUp sends a signup every interval: from addr (a fresh address each
// time when empty), with key as a partner when set. Refusals by the rate
// limit are counted, not failures.
func signUp(ctx context.Context, c *client, r *report, name, addr, key string, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		from := addr
		if from == "" {
			from = randomAddress()
		}
		body := map[string]any{"email": fmt.Sprintf("%s-%d@example.org", name, signups.Add(1)), "name": "Cluster Test",
			"membership_consent": true, "consent_version": members.MembershipConsent.Version}
		path, h := "/v1/members", http.Header{"X-Forwarded-For": {from}, "Idempotency-Key": {fmt.Sprintf("cluster-%d", time.Now().UnixNano())}}
		if key != "" {
			path = "/v1/partner/members"
			h.Set("X-API-Key", key)
			body["partner_sharing_consent"] = true
		}
		status, header, respBody := c.retry(r, name, http.MethodPost, c.base+path, body, h)
		r.request(name, status == http.StatusAccepted || status == http.StatusTooManyRequests, status, respBody)
		if status == http.StatusAccepted || status == http.StatusTooManyRequests {
			r.tally(name, status == http.StatusAccepted, header)
		}
	}
}

// changeContent retitles a page every two seconds through the balancer
// and times how long each live instance takes to serve the new title.
func changeContent(ctx context.Context, c *client, instances []string, token string, r *report) {
	auth := http.Header{"Authorization": {"Bearer " + token}}
	for n := 1; ctx.Err() == nil; n++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		status, h, body := c.do(http.MethodGet, c.base+"/v1/pages/donate/preview", nil, auth)
		r.request("content", status == http.StatusOK, status, body)
		if status != http.StatusOK {
			continue
		}
		title := fmt.Sprintf("Donate (change %d)", n)
		edit := auth.Clone()
		edit.Set("If-Match", h.Get("ETag"))
		status, _, body = c.do(http.MethodPatch, c.base+"/v1/pages/donate", map[string]string{"title": title}, edit)
		r.request("content", status == http.StatusOK, status, body)
		if status != http.StatusOK {
			continue
		}
		changed := time.Now()
		slowest, missed := time.Duration(0), ""
		for _, inst := range instances {
			seen := false
			for time.Since(changed) < 3*time.Second {
				status, _, body := c.do(http.MethodGet, inst+"/v1/pages/donate", nil, nil)
				if status == 0 {
					seen = true // restarting: it starts with an empty cache
					break
				}
				if status == http.StatusOK && strings.Contains(string(body), title) {
					seen = true
					slowest = max(slowest, time.Since(changed))
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if !seen {
				missed = inst
			}
		}
		r.changeSeen(slowest, missed)
	}
}
