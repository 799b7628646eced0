// Command smtpsink is a benchmark SMTP server: it accepts every message,
// keeps nothing but counts, and serves the counts as JSON over HTTP, so a
// load test can measure how fast the API's outbox sends and check that no
// address got the same subject twice.
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
)

type counts struct {
	mu         sync.Mutex
	Messages   int            `json:"messages"`
	Duplicates int            `json:"duplicates"`
	First      time.Time      `json:"first"`
	Last       time.Time      `json:"last"`
	seen       map[string]int // recipient + subject → copies
}

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:0", "SMTP listen address")
	httpAddr := flag.String("http", "127.0.0.1:0", "HTTP listen address for GET /counts")
	flag.Parse()
	c := &counts{seen: map[string]int{}}
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
		_ = json.NewEncoder(w).Encode(c)
	})))
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
	now := time.Now()
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
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
	return nil
}
