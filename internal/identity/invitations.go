package identity

import (
	"context"
	"embed"
	"net/url"

	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/jackc/pgx/v5"
)

// Templates holds identity's email templates, for mail.NewRenderer.
//
//go:embed templates/*.tmpl
var Templates embed.FS

// enqueuer adds email to the outbox within a transaction.
type enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, e mail.Email) error
}

// SendEmailWith makes the service email through outbox: Invite sends the
// invitation, with a link to acceptPage (the staff site's page that posts
// the token to POST /v1/auth/invitations/accept), and Login warns an
// account's owner of a burst of failed sign-ins. Without it, invitations
// are only returned to the inviting admin and no one is warned.
func (s *Service) SendEmailWith(outbox enqueuer, acceptPage string) {
	s.outbox, s.acceptPage = outbox, acceptPage
}

func (s *Service) mailInvitation(ctx context.Context, tx pgx.Tx, m *StaffMember, token string) error {
	if s.outbox == nil {
		return nil
	}
	return s.outbox.Enqueue(ctx, tx, mail.Email{Template: "staff-invite", To: m.Email, Data: map[string]any{
		"Name": m.DisplayName, "Roles": roleNames(m.Roles), "ValidDays": int(s.settings.InviteTTL.Hours() / 24),
		"AcceptURL": s.acceptPage + "?token=" + url.QueryEscape(token),
	}})
}
