package api

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

var valueVaryEncoding = []string{"Accept-Encoding"}

// compressMinSize is the response size below which compression costs more
// than it saves.
const compressMinSize = 1024

var (
	gzipWriters   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(io.Discard, 5); return w }}
	brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(io.Discard, 4) }}
)

type resettableWriter interface {
	io.WriteCloser
	Reset(io.Writer)
	Flush() error
}

// compress encodes large JSON, problem and text responses with br or gzip,
// whichever the client prefers (br on a tie). Small responses are sent as
// they are: the first compressMinSize bytes are held back until it is clear
// which case applies.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if _, ok := h["Vary"]; ok {
			h.Add("Vary", "Accept-Encoding")
		} else {
			h["Vary"] = valueVaryEncoding
		}
		enc := negotiateEncoding(r.Header.Get("Accept-Encoding"))
		if enc == "" || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w, encoding: enc}
		defer cw.finish()
		next.ServeHTTP(cw, r)
	})
}

// negotiateEncoding picks br or gzip from an Accept-Encoding header.
func negotiateEncoding(header string) string {
	if header == "" {
		return ""
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "br" && name != "gzip" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ || (q == bestQ && name == "br") {
			best, bestQ = name, q
		}
	}
	if bestQ <= 0 {
		return ""
	}
	return best
}

type compressWriter struct {
	http.ResponseWriter
	encoding    string
	status      int
	buf         []byte
	decided     bool
	wroteHeader bool
	encoder     resettableWriter
}

func (cw *compressWriter) WriteHeader(status int) {
	if cw.status != 0 {
		return
	}
	cw.status = status
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified {
		cw.decided = true
		cw.ResponseWriter.WriteHeader(status)
		cw.wroteHeader = true
	}
}

func (cw *compressWriter) Write(p []byte) (int, error) {
	if cw.status == 0 {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.decided {
		if cw.encoder != nil {
			return cw.encoder.Write(p)
		}
		return cw.ResponseWriter.Write(p)
	}
	cw.buf = append(cw.buf, p...)
	if len(cw.buf) >= compressMinSize {
		if err := cw.decide(true); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// decide commits to compressing (when large is true and the content suits)
// or not, and writes out what was held back.
func (cw *compressWriter) decide(large bool) error {
	cw.decided = true
	h := cw.Header()
	if large && h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
		h.Set("Content-Encoding", cw.encoding)
		h.Del("Content-Length")
		if cw.encoding == "br" {
			cw.encoder = brotliWriters.Get().(*brotli.Writer)
		} else {
			cw.encoder = gzipWriters.Get().(*gzip.Writer)
		}
		cw.encoder.Reset(cw.ResponseWriter)
	}
	if !cw.wroteHeader {
		cw.ResponseWriter.WriteHeader(cw.status)
		cw.wroteHeader = true
	}
	buf := cw.buf
	cw.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if cw.encoder != nil {
		_, err = cw.encoder.Write(buf)
	} else {
		_, err = cw.ResponseWriter.Write(buf)
	}
	return err
}

// Flush sends what is buffered; a streaming response is compressed if it
// qualifies.
func (cw *compressWriter) Flush() {
	if cw.status == 0 {
		cw.WriteHeader(http.StatusOK)
	}
	if !cw.decided {
		_ = cw.decide(true)
	}
	if cw.encoder != nil {
		_ = cw.encoder.Flush()
	}
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

func (cw *compressWriter) finish() {
	if cw.status == 0 {
		return // the handler wrote nothing; net/http sends its 200
	}
	if !cw.decided {
		_ = cw.decide(false)
	}
	if cw.encoder == nil {
		return
	}
	_ = cw.encoder.Close()
	cw.encoder.Reset(io.Discard)
	if cw.encoding == "br" {
		brotliWriters.Put(cw.encoder)
	} else {
		gzipWriters.Put(cw.encoder)
	}
	cw.encoder = nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return strings.HasPrefix(ct, "text/") || ct == "application/json" || ct == "application/problem+json" ||
		ct == "application/yaml" || strings.HasSuffix(ct, "+json")
}
