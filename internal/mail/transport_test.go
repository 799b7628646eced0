package mail_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

func send(t *testing.T, transport *mail.SMTP, to string) {
	t.Helper()
	err := transport.Send(context.Background(), mail.Message{From: "HPA <no-reply@hpa.example>", To: to, Subject: "Hello " + to, Text: "text", HTML: "<p>html</p>"})
	if err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
}

// Opening a connection per message held the outbox to a few hundred
// emails a second; messages one after another share one connection, and
// one the server has dropped is replaced without losing a message.
func TestSMTPReusesItsConnection(t *testing.T) {
	server := mailtest.Start(t)
	transport, err := mail.NewSMTP(mail.SMTPConfig{Host: server.Host, Port: server.Port, TLS: "none", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(transport.Close)
	for i := range 5 {
		send(t, transport, fmt.Sprintf("member%d@example.org", i))
	}
	if n := server.Connections(); n != 1 {
		t.Errorf("5 messages in turn took %d connections, want 1", n)
	}
	server.DropConnections()
	send(t, transport, "after-drop@example.org")
	if n := server.Connections(); n != 2 {
		t.Errorf("after the server dropped the connection: %d connections, want 2", n)
	}
	got := server.Messages()
	if len(got) != 6 {
		t.Fatalf("received %d messages, want 6", len(got))
	}
	for i, m := range got {
		if len(m.To) != 1 || m.Subject != "Hello "+m.To[0] {
			t.Errorf("message %d: to %v, subject %q: each message must carry its own recipient only", i, m.To, m.Subject)
		}
	}
}
