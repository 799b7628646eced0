package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Message is a rendered email ready to send.
type Message struct {
	From, To       string
	Subject        string
	Text, HTML     string
	UnsubscribeURL string
	Attachments    []Attachment
}

// Transport delivers messages.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// SMTPConfig configures delivery through an SMTP server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "none", "starttls" (required) or "tls" (implicit, port 465).
	TLS string
	// Timeout bounds dialling and each read and write, so a server that
	// hangs fails the job (which retries) instead of blocking a worker.
	Timeout time.Duration
	// Connections is how many open connections are kept between
	// messages: one for each mail worker (internal/jobs), so none
	// redials. At least one is kept.
	Connections int
}

// SMTP sends through an SMTP server with go-mail, keeping connections open
// between messages: a new connection costs a TCP handshake, the greeting,
// EHLO (and STARTTLS and AUTH when configured) and QUIT, several times the
// message itself, and opening one per message held the outbox to a few
// hundred emails a second.
type SMTP struct {
	client *gomail.Client
	// idle holds open connections not in use, the most recently used
	// last; at most maxIdle are kept.
	mu      sync.Mutex
	idle    []*smtpConn
	maxIdle int
}

type smtpConn struct {
	c        *smtp.Client
	lastUsed time.Time
}

// idleFor is how long an unused connection is kept: servers drop idle
// clients after a few minutes (RFC 5321 §4.5.3.2 allows 5), and one the
// server has dropped costs a failed check before dialling anew.
const idleFor = 30 * time.Second

// NewSMTP returns an SMTP transport.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	// No NOOP before each message: it cost a round trip in five. A
	// connection the server dropped fails at MAIL FROM instead, before
	// anything is sent, and Send dials again.
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithHELO("localhost"), gomail.WithoutNoop()}
	switch cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return &SMTP{client: client, maxIdle: max(cfg.Connections, 1)}, nil
}

// Send implements Transport over an open connection if there is one. On a
// connection the server has closed the message fails at its first command
// (MAIL FROM), before anything is sent, and goes again on a new one; any
// failure closes the connection, since its state is unknown.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := buildMessage(m)
	if err != nil {
		return err
	}
	conn := s.take()
	for {
		fresh := conn == nil
		if fresh {
			c, err := s.client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return fmt.Errorf("smtp dial: %w", err)
			}
			conn = &smtpConn{c: c}
		}
		err := s.client.SendWithSMTPClient(conn.c, msg)
		if err == nil {
			s.put(conn)
			return nil
		}
		_ = s.client.CloseWithSMTPClient(conn.c)
		var sendErr *gomail.SendError
		if !errors.As(err, &sendErr) {
			return fmt.Errorf("smtp send: %w", err)
		}
		switch {
		case sendErr.Reason == gomail.ErrSMTPReset:
			return nil // the server took the message; only the RSET after it failed
		case (sendErr.Reason == gomail.ErrConnCheck || sendErr.Reason == gomail.ErrSMTPMailFrom) && !fresh:
			conn = nil // dropped while idle: nothing was sent, dial again
		default:
			return fmt.Errorf("smtp send: %w", err)
		}
	}
}

// take returns an open connection used within idleFor, or nil, closing
// the ones idle for longer.
func (s *SMTP) take() *smtpConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := len(s.idle); n > 0; n = len(s.idle) {
		conn := s.idle[n-1]
		s.idle = s.idle[:n-1]
		if time.Since(conn.lastUsed) < idleFor {
			return conn
		}
		go func() { _ = s.client.CloseWithSMTPClient(conn.c) }()
	}
	return nil
}

// put keeps conn for the next message, or closes it if enough are kept.
func (s *SMTP) put(conn *smtpConn) {
	conn.lastUsed = time.Now()
	s.mu.Lock()
	if len(s.idle) < s.maxIdle {
		s.idle = append(s.idle, conn)
		conn = nil
	}
	s.mu.Unlock()
	if conn != nil {
		_ = s.client.CloseWithSMTPClient(conn.c)
	}
}

// Close closes the idle connections.
func (s *SMTP) Close() {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, conn := range idle {
		_ = s.client.CloseWithSMTPClient(conn.c)
	}
}

func buildMessage(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	if m.UnsubscribeURL != "" {
		msg.SetGenHeader(gomail.Header("List-Unsubscribe"), "<"+m.UnsubscribeURL+">")
		msg.SetGenHeader(gomail.Header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, strings.NewReader(string(a.Content)), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, fmt.Errorf("attachment %s: %w", a.Name, err)
		}
	}
	return msg, nil
}

// Log "sends" by logging the subject and recipient domain, for local
// development. The body is not logged: it can hold tokens and personal data.
type Log struct{ Logger *slog.Logger }

// Send implements Transport.
func (l Log) Send(ctx context.Context, m Message) error {
	domain := m.To[strings.LastIndexByte(m.To, '@')+1:]
	l.Logger.InfoContext(ctx, "email (log transport, not sent)", "subject", m.Subject, "to_domain", domain, "text_bytes", len(m.Text))
	return nil
}
