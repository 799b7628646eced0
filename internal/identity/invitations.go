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

// SendInvitationsWith makes Invite email the invitation through outbox,
// with a link to acceptPage (the staff site's page that posts the token to
// POST /v1/auth/invitations/accept). Without it, invitations are only
// returned to the inviting admin.
func (s *Service) SendInvitationsWith(outbox enqueuer, acceptPage string) {
	s.invitations, s.acceptPage = outbox, acceptPage
}

func (s *Service) mailInvitation(ctx context.Context, tx pgx.Tx, m *StaffMember, token string) error {
	if s.invitations == nil {
		return nil
	}
	return s.invitations.Enqueue(ctx, tx, mail.Email{Template: "staff-invite", To: m.Email, Data: map[string]any{
		"Name": m.DisplayName, "Roles": roleNames(m.Roles), "ValidDays": int(s.settings.InviteTTL.Hours() / 24),
		"AcceptURL": s.acceptPage + "?token=" + url.QueryEscape(token),
	}})
}
