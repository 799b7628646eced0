package members

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sitelinks"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// RequestSignInLink emails a member a single-use sign-in link. It answers
// the same, in the same time, whether or not the address is a member: it
// only queues a job holding the address's keyed hash, and the job decides
// whether to mint and send a link (sendSignInLink).
func (s *Service) RequestSignInLink(ctx context.Context, email string) error {
	_, dedupe, err := NormaliseEmail(email)
	if err != nil {
		return err
	}
	if _, err := s.jobs.Insert(ctx, SignInLinkArgs{EmailHash: s.emailHash(dedupe)}, nil); err != nil {
		return fmt.Errorf("sign-in link: %w", err)
	}
	return nil
}

// sendSignInLink sends the member with the address behind hash a sign-in
// link, at most one every two minutes; nobody else gets anything.
func (s *Service) sendSignInLink(ctx context.Context, hash []byte) error {
	return store.WithTx(ctx, s.work, func(tx pgx.Tx) error {
		row, err := store.Q.MemberGetByEmailHashToMail(ctx, tx, hash)
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sign-in link: %w", err)
		}
		if row.Status != StatusActive && row.Status != StatusUnsubscribed {
			return nil
		}
		return s.sendLink(ctx, tx, hash, throttleMagicLink, magicLinkInterval, s.signInLink(row.ID, emailMagicLink))
	})
}

// RedeemSignInLink exchanges a sign-in link's token (once) for a member
// self-service token.
func (s *Service) RedeemSignInLink(ctx context.Context, token string) (*Confirmed, error) {
	var out *Confirmed
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		used, err := store.Q.MemberTokenUse(ctx, tx, store.MemberTokenUseParams{TokenHash: hashToken(token), Purpose: "magic-link", Now: s.now()})
		if store.IsNotFound(err) {
			return errBadLink
		}
		if err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		row, err := s.get(ctx, tx, used.MemberID)
		if err != nil || (row.Status != StatusActive && row.Status != StatusUnsubscribed) {
			return errBadLink
		}
		if err := s.confirmSharing(ctx, tx, used); err != nil {
			return err
		}
		out, err = s.session(used.MemberID)
		return err
	})
	return out, err
}

var errBadMemberToken = hpa.Errorf(hpa.EUNAUTHORIZED, "the member token is not valid or has expired; sign in again with an emailed link").WithReason(ReasonInvalidToken)

// AuthenticateMember verifies a member self-service token. An erased
// member's tokens stop working at once.
func (s *Service) AuthenticateMember(ctx context.Context, token string) (*identity.Caller, error) {
	claims, err := s.tokens.Parse(token, identity.AudienceMember)
	if err != nil {
		return nil, errBadMemberToken
	}
	id, err := uuid.Parse(claims.Subject)
	if err != nil {
		return nil, errBadMemberToken
	}
	row, err := store.Q.MemberGetByID(ctx, s.db, id)
	if store.IsNotFound(err) || (err == nil && row.Status != StatusActive && row.Status != StatusUnsubscribed) {
		return nil, errBadMemberToken
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate member: %w", err)
	}
	return &identity.Caller{Kind: identity.Member, ID: id}, nil
}

// Me returns a member's own record, including their special-category data.
func (s *Service) Me(ctx context.Context, id uuid.UUID) (*Member, *Sensitive, error) {
	row, err := s.get(ctx, s.db, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return nil, nil, err
	}
	sens, err := s.sensitive(ctx, s.db, id)
	return m, sens, err
}

func (s *Service) sensitive(ctx context.Context, db store.DBTX, id uuid.UUID) (*Sensitive, error) {
	row, err := store.Q.SensitiveGet(ctx, db, id)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read special-category data: %w", err)
	}
	return s.openSensitive(row)
}

// ProfileChange is a partial update; nil fields stay as they are.
type ProfileChange struct {
	Name, Organisation, RoleTitle, Region, EmailFrequency *string
	Audiences, Interests                                  []string // nil: unchanged
	// SpecialCategory: set with SpecialCategoryConsent true to store or
	// replace the details; SpecialCategoryConsent false withdraws the
	// consent and deletes them.
	SpecialCategoryConsent *bool
	Sensitive              *Sensitive
}

// UpdateProfile changes a member's details on their own or staff's behalf,
// recording a consent event for every interest turned on or off and for
// special-category consent given or withdrawn.
func (s *Service) UpdateProfile(ctx context.Context, id uuid.UUID, c ProfileChange, source string) (*Member, error) {
	probe := Profile{Audiences: c.Audiences, Interests: c.Interests, Region: store.Text(c.Region), EmailFrequency: store.Text(c.EmailFrequency)}
	if err := probe.validate(); err != nil {
		return nil, err
	}
	if c.Audiences != nil {
		c.Audiences = probe.Audiences
	}
	if c.Interests != nil {
		c.Interests = probe.Interests
	}
	if err := c.Sensitive.validate(); err != nil {
		return nil, err
	}
	if !c.Sensitive.isZero() && (c.SpecialCategoryConsent == nil || !*c.SpecialCategoryConsent) {
		return nil, hpa.Invalid("body.special_category_consent", "must be true to send special_category details").WithReason(ReasonSpecialCategoryConsentRequired)
	}
	var out *Member
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		if err := CheckAudiences(ctx, tx, c.Audiences, "body.audiences"); err != nil {
			return err
		}
		before, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Status == StatusErased {
			return hpa.Errorf(hpa.ENOTFOUND, "no member with that ID")
		}
		row, err := store.Q.MemberUpdateProfile(ctx, tx, store.MemberUpdateProfileParams{
			ID: id, Name: c.Name, SetOrganisation: c.Organisation != nil, Organisation: emptyToNil(c.Organisation),
			SetRoleTitle: c.RoleTitle != nil, RoleTitle: emptyToNil(c.RoleTitle), Audiences: c.Audiences,
			SetRegion: c.Region != nil, Region: emptyToNil(c.Region), Interests: c.Interests, EmailFrequency: c.EmailFrequency,
		})
		if err != nil {
			return fmt.Errorf("update member: %w", err)
		}
		var consents consentBatch
		if c.Interests != nil {
			for _, i := range Interests {
				was, is := slices.Contains(before.Interests, i), slices.Contains(row.Interests, i)
				if was != is {
					consents.add(InterestPurpose(i), is)
				}
			}
			if len(row.Interests) > 0 && row.Status == StatusUnsubscribed {
				// Choosing interests again is asking to hear from HPA again.
				if err := store.Q.MemberResubscribe(ctx, tx, id); err != nil {
					return fmt.Errorf("resubscribe: %w", err)
				}
				row.Status = StatusActive
			}
		}
		if c.SpecialCategoryConsent != nil {
			if err := s.changeSpecialCategory(ctx, tx, id, *c.SpecialCategoryConsent, c.Sensitive, &consents); err != nil {
				return err
			}
		}
		if err := s.recordConsents(ctx, tx, id, consents, source, nil); err != nil {
			return err
		}
		out, err = s.memberFromRow(row)
		return err
	})
	return out, err
}

func (s *Service) changeSpecialCategory(ctx context.Context, tx pgx.Tx, id uuid.UUID, consent bool, details *Sensitive, consents *consentBatch) error {
	current, err := store.Q.ConsentCurrentByMember(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("read consent: %w", err)
	}
	had := false
	for _, c := range current {
		if c.Purpose == PurposeSpecialCategory {
			had = c.Granted
		}
	}
	if !consent {
		// Withdrawing deletes the data: without consent HPA may not hold it.
		if err := store.Q.SensitiveDelete(ctx, tx, id); err != nil {
			return fmt.Errorf("delete special-category data: %w", err)
		}
		if had {
			consents.add(PurposeSpecialCategory, false)
		}
		return nil
	}
	if !had {
		consents.add(PurposeSpecialCategory, true)
	}
	if details.isZero() {
		return nil
	}
	h, e, a := s.sealSensitive(id, details)
	if err := store.Q.SensitiveUpsert(ctx, tx, store.SensitiveUpsertParams{MemberID: id, HarmedSealed: h, ExperienceSealed: e, AccessibilityNeedsSealed: a}); err != nil {
		return fmt.Errorf("store special-category data: %w", err)
	}
	return nil
}

func emptyToNil(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// UnsubscribeToken returns the token for a member's one-click unsubscribe
// link. It is an HMAC of the member's ID, so it needs no storage and old
// emails' links keep working; using it twice does no harm.
func (s *Service) UnsubscribeToken(id uuid.UUID) string {
	mac := s.hasher.Hash("unsubscribe", id.String())[:16]
	return base64.RawURLEncoding.EncodeToString(append(id[:], mac...))
}

// UnsubscribeLinks are how a member's emails let them stop email: the API's
// one-click (RFC 8058) URL for mail clients and the website's page for the
// footer link, both carrying the same token.
func (s *Service) UnsubscribeLinks(id uuid.UUID) *mail.Unsubscribe {
	token := s.UnsubscribeToken(id)
	return &mail.Unsubscribe{
		OneClick: s.settings.APIURL + "/v1/unsubscribe?token=" + token,
		Page:     sitelinks.Unsubscribe.URL(s.settings.SiteURL, token),
	}
}

var errBadUnsubscribe = &hpa.Error{Code: hpa.EINVALID, Reason: ReasonInvalidLink, Message: "this unsubscribe link is not valid",
	Fields: []hpa.FieldError{{Location: "query.token", Message: "not a token HPA issued"}}}

// Unsubscribe stops all email to the member the token names (their
// interests are cleared and the withdrawals recorded). They stay a member
// of record and can sign in to choose interests again.
func (s *Service) Unsubscribe(ctx context.Context, token string) error {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		return errBadUnsubscribe
	}
	id, _ := uuid.FromBytes(raw[:16])
	if !s.hasher.VerifyUnderEveryKey("unsubscribe", id.String(), raw[16:]) {
		return errBadUnsubscribe
	}
	return s.withTx(ctx, func(tx pgx.Tx) error {
		before, err := store.Q.MemberGetByID(ctx, tx, id)
		if store.IsNotFound(err) {
			return errBadUnsubscribe
		}
		if err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		if before.Status == StatusErased || before.Status == StatusUnsubscribed {
			return nil // nothing left to stop; replaying the link is harmless
		}
		if _, err := store.Q.MemberUnsubscribe(ctx, tx, id); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		var consents consentBatch
		for _, i := range before.Interests {
			consents.add(InterestPurpose(i), false)
		}
		return s.recordConsents(ctx, tx, id, consents, "unsubscribe-link", nil)
	})
}

// Recipient returns where to email a member about purpose right now, or
// nil if they may not be emailed about it: not active, or their latest
// consent for purpose is not a grant. Other capabilities (alerts, digests)
// call it at the moment of sending.
func (s *Service) Recipient(ctx context.Context, db store.DBTX, id uuid.UUID, purpose string) (*Recipient, error) {
	row, err := store.Q.MemberGetByID(ctx, db, id)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	if row.Status != StatusActive {
		return nil, nil
	}
	current, err := store.Q.ConsentCurrentByMember(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	granted := false
	for _, c := range current {
		if c.Purpose == purpose {
			granted = c.Granted
		}
	}
	if !granted {
		return nil, nil
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return nil, err
	}
	return &Recipient{Email: m.Email, Name: m.Name}, nil
}

// Recipient is a member who may be emailed.
type Recipient struct {
	Email, Name string
}

// Contact returns an active or unsubscribed member's name and address, for
// email they asked for themselves (such as an event registration), or nil.
func (s *Service) Contact(ctx context.Context, db store.DBTX, id uuid.UUID) (*Recipient, error) {
	row, err := store.Q.MemberGetByIDToMail(ctx, db, id)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("member contact: %w", err)
	}
	if row.Status != StatusActive && row.Status != StatusUnsubscribed {
		return nil, nil
	}
	m, err := s.memberFromRow(row)
	if err != nil {
		return nil, err
	}
	return &Recipient{Email: m.Email, Name: m.Name}, nil
}
