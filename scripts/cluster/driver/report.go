package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tally counts one kind of limited request.
type tally struct {
	accepted, refused int
	// windows counts the rate-limit windows the requests fell in: the
	// RateLimit field's t going up means a new one began.
	windows   int
	lastReset int
	slowest   time.Duration
}

type check struct {
	name, detail string
	ok           bool
}

// report gathers outcomes from the load's goroutines.
type report struct {
	mu       sync.Mutex
	requests map[string]int
	failed   []string
	nfailed  int
	retries  []string
	tallies  map[string]*tally
	checks   []check
}

func newReport() *report { return &report{requests: map[string]int{}, tallies: map[string]*tally{}} }

// request counts one request, and a failure unless ok.
func (r *report) request(kind string, ok bool, status int, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests[kind]++
	if !ok {
		r.nfailed++
		if len(r.failed) < 10 {
			r.failed = append(r.failed, fmt.Sprintf("%s: %d %.200s", kind, status, body))
		}
	}
}

// retried records a request sent again after its connection was lost.
func (r *report) retried(kind string, why []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, fmt.Sprintf("%s (%s)", kind, why))
}

var resetParam = regexp.MustCompile(`;t=(\d+)`)

// tally counts an accepted or refused request of kind, following the
// rate-limit windows through h's RateLimit field.
func (r *report) tally(kind string, accepted bool, h http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.get(kind)
	if accepted {
		t.accepted++
	} else {
		t.refused++
	}
	if m := resetParam.FindStringSubmatch(h.Get("RateLimit")); m != nil {
		reset, _ := strconv.Atoi(m[1])
		if t.windows == 0 || reset > t.lastReset+1 {
			t.windows++
		}
		t.lastReset = reset
	}
}

// changeSeen records a content change every live instance served within
// slowest, or that missed did not serve in time.
func (r *report) changeSeen(slowest time.Duration, missed string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.get("content")
	if missed != "" {
		r.nfailed++
		r.failed = append(r.failed, "content change not seen by "+missed+" within 3 s")
		return
	}
	t.accepted++
	t.slowest = max(t.slowest, slowest)
}

// get returns kind's tally; callers hold mu or have stopped the load.
func (r *report) get(kind string) *tally {
	t := r.tallies[kind]
	if t == nil {
		t = &tally{}
		r.tallies[kind] = t
	}
	return t
}

func (r *report) failures() int           { return r.nfailed }
func (r *report) firstFailures() []string { return r.failed }

func (r *report) total() int {
	n := 0
	for _, c := range r.requests {
		n += c
	}
	return n
}

func (r *report) check(name string, ok bool, detail string) {
	r.checks = append(r.checks, check{name: name, ok: ok, detail: detail})
}

func (r *report) passed() bool {
	for _, c := range r.checks {
		if !c.ok {
			return false
		}
	}
	return true
}

// String is the report: requests by kind over elapsed, then each check.
func (r *report) String(elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "load for %s through the balancer:\n", elapsed.Round(time.Second))
	for _, kind := range []string{"page read", "beacon", "signup", "signup-many", "partner", "content"} {
		fmt.Fprintf(&b, "  %-12s %7d requests  %6.1f/s\n", kind, r.requests[kind], float64(r.requests[kind])/elapsed.Seconds())
	}
	fmt.Fprintf(&b, "  sent again after a lost connection: %d %v\n", len(r.retries), r.retries)
	for _, c := range r.checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s: %s\n", mark, c.name, c.detail)
	}
	return b.String()
}
