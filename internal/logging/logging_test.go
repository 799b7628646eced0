package logging

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRequestIDIsAddedToEveryRecord(t *testing.T) {
	var out bytes.Buffer
	log := New(&out, "json", nil).With("component", "test")
	log.InfoContext(WithRequestID(context.Background(), "REQ123"), "hello")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(lines[0], `"request_id":"REQ123"`) || strings.Contains(lines[1], "request_id") {
		t.Errorf("lines:\n%s", out.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestBufferedWriterFlushesOnIntervalAndClose(t *testing.T) {
	var sink lockedBuffer
	w := NewBufferedWriter(&sink, 4096, 20*time.Millisecond)
	w.Write([]byte("first\n"))
	deadline := time.Now().Add(2 * time.Second)
	for sink.String() != "first\n" {
		if time.Now().After(deadline) {
			t.Fatal("line not flushed by the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Write([]byte("last\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.String() != "first\nlast\n" {
		t.Errorf("after Close: %q", sink.String())
	}
}
