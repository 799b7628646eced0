package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stopping serve (SIGTERM cancels its context) writes the events still
// buffered: with an hour between flushes, only shutdown can have written
// them.
func TestServeFlushesBufferedVisitsOnShutdown(t *testing.T) {
	dbURL := pgtest.URL(t)
	addr, stop := startServe(t, map[string]string{"HPA_DATABASE_URL": dbURL, "HPA_HTTP_ADDR": "127.0.0.1:0",
		"HPA_VISITS_HOSTNAMES": "www.example.org", "HPA_VISITS_FLUSH_INTERVAL": "1h", "HPA_RATE_LIMIT": "100000"})
	const sent = 300
	for i := range sent / 100 {
		var events []string
		for j := range 100 {
			events = append(events, fmt.Sprintf(`{"url":"https://www.example.org/p%d","ip":"192.0.2.%d","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}`, i, j))
		}
		resp, err := http.Post("http://"+addr+"/v1/events/batch", "application/json", bytes.NewBufferString(`{"events":[`+strings.Join(events, ",")+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("batch: %d", resp.StatusCode)
		}
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var before int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM visit_events`).Scan(&before)
	if before != 0 {
		t.Fatalf("%d events written before shutdown; the test needs them buffered", before)
	}
	stop()
	var after int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM visit_events`).Scan(&after); err != nil || after != sent {
		t.Errorf("%d events written at shutdown, want %d (%v)", after, sent, err)
	}
}

func TestDevGenerateVisits(t *testing.T) {
	vars := map[string]string{"HPA_DATABASE_URL": pgtest.URL(t), "HPA_VISITS_HOSTNAMES": "www.example.org"}
	out, err := runCLI(t, vars, "dev", "generate-visits", "--pageviews", "5000", "--days", "10")
	if err != nil || !strings.Contains(out, "generated 5000 page views") || !strings.Contains(out, "www.example.org") {
		t.Fatalf("generate: %q %v", out, err)
	}
	for _, args := range [][]string{{"dev"}, {"dev", "generate-visits", "--days", "0"}, {"dev", "generate-visits", "--bogus"}} {
		if _, err := runCLI(t, vars, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
