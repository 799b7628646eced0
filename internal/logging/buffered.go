package logging

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// BufferedWriter batches log lines into few large writes: one write
// syscall per request line is a measurable share of a fast request.
// Buffered lines reach the underlying writer within the flush interval,
// when the buffer fills, and on Close.
type BufferedWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBufferedWriter buffers up to size bytes for w, flushing every interval.
func NewBufferedWriter(w io.Writer, size int, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write implements io.Writer; p is copied into the buffer.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes out everything buffered.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// Close stops the flusher and flushes what remains.
func (b *BufferedWriter) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}
