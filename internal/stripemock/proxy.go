package stripemock

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy stands in front of stripe-mock and passes every call through,
// except those a test tells it to fail: stripe-mock answers every valid
// call, and a test of what happens when Stripe does not needs a Stripe
// that fails on demand. It also records the calls it saw.
type Proxy struct {
	// URL is the proxy's base URL, to configure as Stripe's.
	URL string

	mu       sync.Mutex
	failures map[string]int // path prefix → status to answer with
	answers  []answer
	calls    []Call
}

// answer is a canned response for the calls to a path whose query holds
// a given text.
type answer struct {
	path, query string
	body        []byte
}

// Call is one request the proxy saw.
type Call struct {
	Method, Path   string
	IdempotencyKey string
	// Form is the request's form-encoded body (Stripe's API takes forms).
	Form   url.Values
	Failed bool
}

// StartProxy runs stripe-mock behind a Proxy until the test ends.
func StartProxy(t testing.TB) *Proxy {
	t.Helper()
	target, err := url.Parse(Start(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{failures: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := p.failing(r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		p.calls = append(p.calls, Call{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: form, Failed: status != 0})
		p.mu.Unlock()
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":{"type":"api_error","message":"failing on purpose (stripemock.Proxy)"}}`))
			return
		}
		if body := p.answering(r.URL.Path, r.URL.RawQuery); body != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Fail makes every call whose path starts with prefix answer status
// until Heal.
func (p *Proxy) Fail(prefix string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures[prefix] = status
}

// Answer makes the calls to path whose (URL-encoded) query contains query
// answer 200 with body instead of stripe-mock's canned objects: a test
// shapes what Stripe holds (stripe-mock's lists hold one fixed object
// whatever was asked). Answers given later for the same path win; Heal
// removes them.
func (p *Proxy) Answer(path, query string, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = append([]answer{{path: path, query: query, body: body}}, p.answers...)
}

func (p *Proxy) answering(path, query string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.answers {
		if a.path == path && strings.Contains(query, a.query) {
			return a.body
		}
	}
	return nil
}

// Heal passes every call through again.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.failures)
	p.answers = nil
}

// Calls returns the calls seen so far whose path starts with prefix.
func (p *Proxy) Calls(prefix string) []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Call
	for _, c := range p.calls {
		if strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (p *Proxy) failing(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for prefix, status := range p.failures {
		if strings.HasPrefix(path, prefix) {
			return status
		}
	}
	return 0
}
