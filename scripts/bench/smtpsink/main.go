// Command smtpsink is a benchmark SMTP server: it accepts every message,
// keeps nothing but counts, and serves the counts as JSON over HTTP, so a
// load test can measure how fast the API's outbox sends and check that no
// address got the same subject twice. With -keep it also keeps each message,
// decoded, and serves them at GET /messages?to=ADDRESS, so an end-to-end
// test can follow the links in the emails the API actually sent.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

type counts struct {
	mu         sync.Mutex
	Messages   int            `json:"messages"`
	Duplicates int            `json:"duplicates"`
	First      time.Time      `json:"first"`
	Last       time.Time      `json:"last"`
	seen       map[string]int // recipient + subject → copies
	keep       bool
	kept       []message
}

// message is one kept email as GET /messages shows it.
type message struct {
	To      []string            `json:"to"`
	Subject string              `json:"subject"`
	Headers map[string][]string `json:"headers"`
	Text    string              `json:"text"`
	HTML    string              `json:"html"`
}

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:0", "SMTP listen address")
	httpAddr := flag.String("http", "127.0.0.1:0", "HTTP listen address for the counts (and GET /messages)")
	keep := flag.Bool("keep", false, "keep every message and serve them at GET /messages?to=ADDRESS")
	flag.Parse()
	c := &counts{seen: map[string]int{}, keep: *keep}
	sl, err := net.Listen("tcp", *smtpAddr)
	if err != nil {
		log.Fatal(err)
	}
	hl, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}
	srv := smtp.NewServer(backend{c})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go func() { log.Fatal(srv.Serve(sl)) }()
	log.Printf("smtp %s http %s", sl.Addr(), hl.Addr())
	// The first line of stdout is what the bench script reads.
	fmt.Println(sl.Addr().(*net.TCPAddr).Port, hl.Addr().(*net.TCPAddr).Port)
	log.Fatal(http.Serve(hl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/messages" {
			_ = json.NewEncoder(w).Encode(c.messagesTo(r.URL.Query().Get("to")))
			return
		}
		_ = json.NewEncoder(w).Encode(c)
	})))
}

// messagesTo returns the kept messages for an address (all when to is
// empty), oldest first. The caller holds c.mu.
func (c *counts) messagesTo(to string) []message {
	out := []message{}
	for _, m := range c.kept {
		for _, rcpt := range m.To {
			if to == "" || strings.EqualFold(rcpt, to) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

type backend struct{ c *counts }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{c: b.c}, nil }

type session struct {
	c  *counts
	to []string
}

func (s *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                    { s.to = nil }
func (s *session) Logout() error                             { return nil }

func (s *session) Data(r io.Reader) error {
	if s.c.keep {
		return s.keep(r)
	}
	subject := ""
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "Subject:") {
			subject = strings.TrimSpace(line[len("Subject:"):])
		}
		if err != nil || line == "\r\n" || line == "\n" {
			break
		}
	}
	_, _ = io.Copy(io.Discard, br)
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.count(subject)
	return nil
}

// keep decodes and keeps a whole message, then counts it.
func (s *session) keep(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mailtest.Parse(raw)
	if err != nil {
		return err
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.kept = append(s.c.kept, message{To: s.to, Subject: m.Subject, Headers: m.Header, Text: m.Text, HTML: m.HTML})
	s.count(m.Subject)
	return nil
}

// count records a message for each recipient. The caller holds s.c.mu.
func (s *session) count(subject string) {
	now := time.Now()
	for _, to := range s.to {
		key := to + "\x00" + subject
		s.c.seen[key]++
		if s.c.seen[key] > 1 {
			s.c.Duplicates++
		}
		s.c.Messages++
	}
	if s.c.First.IsZero() {
		s.c.First = now
	}
	s.c.Last = now
}
