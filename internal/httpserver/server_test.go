package httpserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A request in flight when shutdown starts completes; new connections are
// refused; Serve returns nil.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, New(handler), ln, Drain{Timeout: 5 * time.Second}) }()

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		inflight <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM arrives while the request is being served

	deadline := time.Now().Add(2 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break // the listener is closed: no new work is accepted
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if r := <-inflight; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestShutdownIsBounded(t *testing.T) {
	entered := make(chan struct{})
	stuck := make(chan struct{})
	defer close(stuck)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-stuck
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, New(handler), ln, Drain{Timeout: 200 * time.Millisecond}) }()
	go http.Get("http://" + ln.Addr().String() + "/stuck")
	<-entered
	start := time.Now()
	cancel()
	err = <-served
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("Serve = %v, want a timeout error", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("shutdown took %s", waited)
	}
}

// During the drain delay the server still answers, readiness has been
// told, and every answer closes its connection so the client's next
// request opens one to another instance; then the listener closes.
func TestDrainKeepsServingUntilTheBalancerHasSeenIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	began := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, New(handler), ln, Drain{Begin: func() { close(began) }, Delay: 300 * time.Millisecond, Timeout: time.Second})
	}()
	url := "http://" + ln.Addr().String() + "/"
	if resp, err := http.Get(url); err != nil || resp.Close {
		t.Fatalf("before the signal: %v, closing %v", err, resp != nil && resp.Close)
	}
	start := time.Now()
	cancel()
	<-began
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("during the drain delay: %v", err)
	}
	resp.Body.Close()
	if !resp.Close {
		t.Error("an answer during the drain delay keeps its connection open")
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("the listener closed after %s, before the drain delay", waited)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("still accepting after the drain")
	}
}
