package identity

import (
	"context"
	"embed"

	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sitelinks"
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
// invitation, with a link to the site's (siteURL) invitation page
// (sitelinks.AcceptInvitation), and Login warns an
// account's owner of a burst of failed sign-ins. Without it, invitations
// are only returned to the inviting admin and no one is warned.
func (s *Service) SendEmailWith(outbox enqueuer, siteURL string) {
	s.outbox, s.siteURL = outbox, siteURL
}

func (s *Service) mailInvitation(ctx context.Context, tx pgx.Tx, m *StaffMember, token string) error {
	if s.outbox == nil {
		return nil
	}
	return s.outbox.Enqueue(ctx, tx, mail.Email{Template: "staff-invite", To: m.Email, Data: map[string]any{
		"Name": m.DisplayName, "Roles": roleNames(m.Roles), "ValidDays": int(s.settings.InviteTTL.Hours() / 24),
		"AcceptURL": sitelinks.AcceptInvitation.URL(s.siteURL, token),
	}})
}
