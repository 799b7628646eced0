package mail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
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
}

// SMTP sends through an SMTP server with go-mail.
type SMTP struct{ cfg SMTPConfig }

// NewSMTP returns an SMTP transport.
func NewSMTP(cfg SMTPConfig) *SMTP { return &SMTP{cfg: cfg} }

// Send implements Transport: one connection per message, which is plenty
// for a charity's volume and never leaves a broken connection cached.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout), gomail.WithHELO("localhost")}
	switch s.cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	msg, err := buildMessage(m)
	if err != nil {
		return err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
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
