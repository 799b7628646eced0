package members

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
)

// Link emails (a confirmation, a sign-in link, "already a member") are
// written when they are sent, from the member's row: the job holds the
// member's ID, the template and a random reference, never the address,
// the name or the token. The token is the keyed hash of the reference
// (linkToken), so only this service can make it from the job, and the
// database keeps only the token's hash, as before.

// linkTemplates are the emails composeLink writes.
var linkTemplates = []string{emailConfirm, emailAlreadyMember, emailMagicLink}

// linkTokenDomain is the hash domain link tokens are derived in.
const linkTokenDomain = "member-link-token"

// newLinkRef is a fresh random reference for a link token.
func newLinkRef() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// linkToken is the token a link email carries for ref, under the current
// key.
func (s *Service) linkToken(ref []byte) string {
	return base64.RawURLEncoding.EncodeToString(s.hasher.Hash(linkTokenDomain, base64.RawURLEncoding.EncodeToString(ref)))
}

// composeLink writes a link email at sending time (a mail.Composer). It
// writes none when the member has been erased or purged, or the link can
// no longer be used (used, expired, or its member erased): nobody is sent
// a dead link or an email after asking to be forgotten.
func (s *Service) composeLink(ctx context.Context, a mail.ComposeArgs) (*mail.Email, error) {
	ref := base64.RawURLEncoding.EncodeToString(a.Token)
	candidates := s.hasher.HashUnderEveryKey(linkTokenDomain, ref) // a key rotated since queueing still works
	hashes := make([][]byte, len(candidates))
	tokens := map[string]string{}
	for i, c := range candidates {
		token := base64.RawURLEncoding.EncodeToString(c)
		hashes[i] = hashToken(token)
		tokens[string(hashes[i])] = token
	}
	row, err := store.Q.MemberGetForLinkEmail(ctx, s.work, store.MemberGetForLinkEmailParams{ID: a.MemberID, TokenHashes: hashes, Now: s.now()})
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("write %s email: %w", a.Template, err)
	}
	if row.Member.Status == StatusErased || row.LiveTokenHash == nil {
		return nil, nil
	}
	m, err := s.memberFromRow(row.Member)
	if err != nil {
		return nil, err
	}
	token := tokens[string(row.LiveTokenHash)]
	data := map[string]any{"Name": m.Name, "PartnerSharing": a.Partner != "", "PartnerName": a.Partner}
	switch a.Template {
	case emailConfirm:
		data["ConfirmURL"], data["ValidHours"] = sitelinks.Confirm.URL(s.settings.SiteURL, token), int(s.settings.ConfirmTTL.Hours())
	default:
		data["SignInURL"], data["ValidMinutes"] = sitelinks.SignIn.URL(s.settings.SiteURL, token), int(s.settings.MagicLinkTTL.Minutes())
	}
	return &mail.Email{Template: a.Template, To: m.Email, Unsubscribe: s.UnsubscribeLinks(m.ID), Data: data}, nil
}
