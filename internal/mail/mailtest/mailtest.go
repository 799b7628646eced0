// Package mailtest runs a real SMTP server in the test process (emersion's
// go-smtp) and keeps what it receives, decoded, for tests to read.
package mailtest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
	// Attachments maps file name to content.
	Attachments map[string][]byte
	Raw         []byte
}

// Server is an in-process SMTP server.
type Server struct {
	Host string
	Port int

	mu       sync.Mutex
	messages []Message
	failing  bool
	srv      *smtp.Server
	conns    []*smtp.Conn // every connection made, in order
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// SetFailing makes the server refuse every message (451) until set back,
// as a mail server that is down would.
func (s *Server) SetFailing(failing bool) {
	s.mu.Lock()
	s.failing = failing
	s.mu.Unlock()
}

// Connections is how many connections clients have made.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropConnections closes every open connection from the server's side, as
// a server does with clients idle too long.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// Messages returns everything received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages received for an address.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// WaitFor polls until a message for addr matching match arrives.
func (s *Server) WaitFor(t testing.TB, addr string, within time.Duration, match func(Message) bool) Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, m := range s.To(addr) {
			if match == nil || match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no matching email for %s within %s (have %d messages)", addr, within, len(s.To(addr)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.conns = append(b.s.conns, c)
	b.s.mu.Unlock()
	return &session{s: b.s}, nil
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error { ss.from = from; return nil }

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	failing := ss.s.failing
	ss.s.mu.Unlock()
	if failing {
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return err
	}
	m.From, m.To = ss.from, ss.to
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, m)
	ss.s.mu.Unlock()
	return nil
}

// Reset ends a message: the next one on the connection starts afresh.
func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// Parse decodes a raw message: headers, subject, text and HTML bodies (quoted-printable
// or base64) and attachments.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	m := Message{Header: msg.Header, Subject: subject, Raw: raw, Attachments: map[string][]byte{}}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &m)
	return m, err
}

func walk(contentType, encoding, disposition string, body io.Reader, m *Message) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Disposition"), part, m); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64Reader(body)
	}
	content, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if _, dparams, err := mime.ParseMediaType(disposition); err == nil && strings.HasPrefix(disposition, "attachment") {
		m.Attachments[dparams["filename"]] = content
		return nil
	}
	switch mediaType {
	case "text/plain":
		m.Text += string(content)
	case "text/html":
		m.HTML += string(content)
	default:
		m.Attachments[params["name"]] = content
	}
	return nil
}
