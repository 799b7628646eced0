package members

import (
	"context"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/harmedpatients/hpa/internal/webhooks"
	"github.com/jackc/pgx/v5"
)

// Partners tells partner organisations about the members who agreed to
// share with them (outgoing webhooks, internal/webhooks), in the
// transaction of the change.
type Partners interface {
	Emit(ctx context.Context, tx pgx.Tx, e webhooks.Event) error
	// Forget cancels what was not yet delivered to an organisation about
	// the person with this address.
	Forget(ctx context.Context, tx pgx.Tx, organisationID uuid.UUID, email string) error
}

// NotifyPartnersWith sets who carries news of partner sharing.
func (s *Service) NotifyPartnersWith(p Partners) { s.partners = p }

var refEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// PartnerRef is how an organisation knows a member in what HPA tells it:
// stable for that organisation, different for every other, so partners
// cannot link their lists through it, and meaningless without HPA's key:
// the first hash key, so it survives the key's rotation.
func (s *Service) PartnerRef(organisationID, memberID uuid.UUID) string {
	sum := s.hasher.First().Hash("partner-member-ref", organisationID.String()+"|"+memberID.String())
	return "mbr_" + strings.ToLower(refEncoding.EncodeToString(sum[:10]))
}

// signupThrottle is the email throttle a signup counts against: one for
// HPA's own site and one for each organisation, so that a partner's
// signup of someone HPA (or another partner) emailed within the hour
// still reaches them, with the link that confirms their sharing.
func signupThrottle(in Signup) string {
	if in.SourceOrganisationID != nil {
		return throttleSignup + ":" + in.SourceOrganisationID.String()
	}
	return throttleSignup
}

// withSharing makes using l confirm the partner-sharing consent a
// partner's signup carries.
func withSharing(l link, in Signup) link {
	if in.PartnerSharing && in.SourceOrganisationID != nil {
		// The email says what using the link agrees to, and with whom.
		l.partner, l.partnerKey, l.partnerName = in.SourceOrganisationID, in.SourceKeyID, in.SourceOrganisationName
	}
	return l
}

// sharing returns the organisations a member currently shares with (their
// latest partner-sharing consent for each is a grant), with since when.
func (s *Service) sharing(ctx context.Context, db store.DBTX, id uuid.UUID) (map[uuid.UUID]time.Time, error) {
	current, err := store.Q.ConsentCurrentByMember(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("partner sharing: %w", err)
	}
	out := map[uuid.UUID]time.Time{}
	for _, c := range current {
		org, ok := strings.CutPrefix(c.Purpose, purposePartnerPrefix)
		if orgID, err := uuid.Parse(org); ok && err == nil && c.Granted {
			out[orgID] = c.OccurredAt
		}
	}
	return out, nil
}

// confirmSharing runs when a member uses an emailed link: if it came from
// an organisation's signup with partner-sharing consent, the consent is
// recorded (unless it stands already, as it does for a new member) and
// the organisation told the person joined. Until then it knows nothing:
// the person confirmed it by using the link, which only they received.
func (s *Service) confirmSharing(ctx context.Context, tx pgx.Tx, used store.MemberTokenUseRow) error {
	if used.PartnerOrganisationID == nil {
		return nil
	}
	org := *used.PartnerOrganisationID
	shared, err := s.sharing(ctx, tx, used.MemberID)
	if err != nil {
		return err
	}
	if _, ok := shared[org]; !ok {
		var b consentBatch
		b.add(PartnerPurpose(org.String()), true)
		if err := s.recordConsents(ctx, tx, used.MemberID, b, SourcePartner, used.PartnerKeyID); err != nil {
			return err
		}
	}
	if s.partners == nil {
		return nil
	}
	row, err := s.get(ctx, tx, used.MemberID)
	if err != nil {
		return err
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return err
	}
	return s.partners.Emit(ctx, tx, webhooks.Event{Type: webhooks.TypeSharingConfirmed, OrganisationID: &org, Person: m.Email,
		Data: webhooks.SharingConfirmed{MemberRef: s.PartnerRef(org, m.ID), Email: m.Email, ConfirmedAt: s.now().UTC()}})
}

// Sharing is an organisation a member shares with.
type Sharing struct {
	OrganisationID uuid.UUID
	Since          time.Time
}

// PartnerSharing lists the organisations a member shares with.
func (s *Service) PartnerSharing(ctx context.Context, id uuid.UUID) ([]Sharing, error) {
	shared, err := s.sharing(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	out := make([]Sharing, 0, len(shared))
	for org, since := range shared {
		out = append(out, Sharing{OrganisationID: org, Since: since})
	}
	slices.SortFunc(out, func(a, b Sharing) int { return a.Since.Compare(b.Since) })
	return out, nil
}

// WithdrawPartnerSharing withdraws a member's consent to share with an
// organisation: the withdrawal is recorded, what was not yet delivered to
// the organisation about them is cancelled, and the organisation is told
// (by the reference it had, nothing more).
func (s *Service) WithdrawPartnerSharing(ctx context.Context, id, organisationID uuid.UUID) error {
	return s.withTx(ctx, func(tx pgx.Tx) error {
		shared, err := s.sharing(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := shared[organisationID]; !ok {
			return hpa.Errorf(hpa.ENOTFOUND, "you do not share your membership with that organisation")
		}
		var b consentBatch
		b.add(PartnerPurpose(organisationID.String()), false)
		if err := s.recordConsents(ctx, tx, id, b, "self-service", nil); err != nil {
			return err
		}
		return s.tellWithdrawn(ctx, tx, id, organisationID, "withdrawn")
	})
}

// withdrawAllSharing tells every organisation a member shares with that
// the sharing ended because they are being erased. (The consent history,
// anonymous once the member is, keeps the grants: it records what was
// agreed, and the tombstone can share nothing.)
func (s *Service) withdrawAllSharing(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	shared, err := s.sharing(ctx, tx, id)
	if err != nil {
		return err
	}
	for org := range shared {
		if err := s.tellWithdrawn(ctx, tx, id, org, "erased"); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) tellWithdrawn(ctx context.Context, tx pgx.Tx, id, org uuid.UUID, reason string) error {
	if s.partners == nil {
		return nil
	}
	row, err := s.get(ctx, tx, id)
	if err != nil {
		return err
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return err
	}
	if err := s.partners.Forget(ctx, tx, org, m.Email); err != nil {
		return err
	}
	return s.partners.Emit(ctx, tx, webhooks.Event{Type: webhooks.TypeSharingWithdrawn, OrganisationID: &org,
		Data: webhooks.SharingWithdrawn{MemberRef: s.PartnerRef(org, id), Reason: reason, WithdrawnAt: s.now().UTC()}})
}
