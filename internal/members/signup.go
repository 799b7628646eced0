package members

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// Signup is a request to join.
type Signup struct {
	Email   string
	Profile Profile
	// ConsentVersion is the version of the consent texts the person was
	// shown; it must be the current one.
	ConsentVersion string
	// SpecialCategoryConsent is the separate, explicit consent needed to
	// hold Sensitive.
	SpecialCategoryConsent bool
	Sensitive              *Sensitive
	// PartnerSharing: the person agreed HPA may tell the signing-up
	// organisation they joined (partner signups only).
	PartnerSharing bool
	Source         string
	// SourceKeyID and SourceOrganisationID name the partner key and its
	// organisation for partner signups.
	SourceKeyID          *uuid.UUID
	SourceOrganisationID *uuid.UUID
	// SourceOrganisationName is how the emails name that organisation
	// when they ask the person to confirm sharing with it.
	SourceOrganisationName string
}

// Email kinds sent to (possible) members.
const (
	emailConfirm       = "member-confirm"
	emailAlreadyMember = "member-already"
	emailMagicLink     = "member-magic-link"
	throttleSignup     = "signup"
	throttleMagicLink  = "magic-link"
	magicLinkInterval  = 2 * time.Minute
)

// Signup handles a request to join. Its outcome is the same whether or not
// the address is already a member: an email is sent (at most one per
// address per interval) and nothing about the address is revealed or
// overwritten. An existing member gets an "already a member" email with a
// sign-in link instead of a confirmation.
//
// Only validation happens here; the signup itself is queued (see
// queue.go) so that answering takes the same time for a member's address
// as for a new one.
func (s *Service) Signup(ctx context.Context, in Signup) error {
	if in.ConsentVersion != MembershipConsent.Version {
		return hpa.Invalid("body.consent_version", "must be the current consent version "+MembershipConsent.Version+" (see GET /v1/consent-texts); show the current wording and send its version").WithReason(ReasonConsentVersionOutdated)
	}
	if err := in.Profile.validate(); err != nil {
		return err
	}
	if err := in.Sensitive.validate(); err != nil {
		return err
	}
	if !in.Sensitive.isZero() && !in.SpecialCategoryConsent {
		return hpa.Invalid("body.special_category_consent", "must be true to send special_category details: health information needs its own explicit consent").WithReason(ReasonSpecialCategoryConsentRequired)
	}
	if _, _, err := NormaliseEmail(in.Email); err != nil {
		return err
	}
	return s.queueSignup(ctx, in)
}

// queuedSignup is a validated signup taken from the signup queue, with
// the context of the request that made it (its ID and actor).
type queuedSignup struct {
	ctx context.Context
	in  Signup
}

// signups carries out validated signups from the signup queue in tx: each
// is a new member with a confirmation email, or an email to the member the
// address belongs to. The emails go into out. The new members go in one
// pipelined batch of statements, and their throttle claims and tokens in
// one each (sendLinks), so a batch of signups costs a few round trips to
// the database rather than several per signup; addresses that are
// members already take the slower path, one at a time.
func (s *Service) signups(ctx context.Context, tx pgx.Tx, out enqueuer, qs []queuedSignup) error {
	params := make([]store.MemberSignupInsertParams, 0, len(qs))
	hashes := make([][]byte, 0, len(qs))
	for _, q := range qs {
		send, dedupe, err := NormaliseEmail(q.in.Email)
		if err != nil {
			return err
		}
		hash := s.emailHash(dedupe)
		params = append(params, s.signupParams(q.ctx, uuid.New(), hash, send, q.in))
		hashes = append(hashes, hash)
	}
	created, err := s.insertNew(ctx, tx, params)
	if err != nil {
		return err
	}
	links := make([]linkRequest, 0, len(qs))
	for i, q := range qs {
		if !created[i] {
			if err := s.signupExisting(q.ctx, tx, out, hashes[i], q.in); err != nil {
				return err
			}
			continue
		}
		id := params[i].ID
		if err := s.auditSignup(q.ctx, tx, id, q.in); err != nil {
			return err
		}
		links = append(links, linkRequest{hash: hashes[i], kind: signupThrottle(q.in), interval: s.settings.EmailInterval,
			link: withSharing(s.confirmLink(id), q.in)})
	}
	return s.sendLinks(ctx, tx, out, links)
}

func (s *Service) consentsFor(in Signup) consentBatch {
	var b consentBatch
	b.add(PurposeMembership, true)
	for _, i := range in.Profile.Interests {
		b.add(InterestPurpose(i), true)
	}
	if in.SpecialCategoryConsent {
		b.add(PurposeSpecialCategory, true)
	}
	if in.PartnerSharing && in.SourceOrganisationID != nil {
		b.add(PartnerPurpose(in.SourceOrganisationID.String()), true)
	}
	return b
}

// signupParams is the statement that inserts a member with everything
// that goes with them (see insertNew).
func (s *Service) signupParams(ctx context.Context, id uuid.UUID, hash []byte, email string, in Signup) store.MemberSignupInsertParams {
	consents := s.consentsFor(in)
	p := store.MemberSignupInsertParams{
		ID: id, EmailHash: hash, EmailSealed: s.ring.SealString(email, emailContext(id)), Name: store.NullText(in.Profile.Name),
		Organisation: store.NullText(in.Profile.Organisation), RoleTitle: store.NullText(in.Profile.RoleTitle), Audiences: nonNil(in.Profile.Audiences),
		Region: store.NullText(in.Profile.Region), Interests: nonNil(in.Profile.Interests), Source: in.Source,
		SourceKeyID: in.SourceKeyID, SourceOrganisationID: in.SourceOrganisationID,
		ConsentPurposes: consents.purposes, ConsentVersions: consents.versions, ConsentHashes: consents.hashes,
		RequestID: store.NullText(logging.RequestID(ctx)), HasSensitive: in.SpecialCategoryConsent && !in.Sensitive.isZero(), Status: StatusPending,
	}
	if in.Source == SourceImport {
		p.Status = StatusActive // confirmed in the system they come from
	}
	if p.HasSensitive {
		p.HarmedSealed, p.ExperienceSealed, p.AccessibilityNeedsSealed = s.sealSensitive(id, in.Sensitive)
	}
	return p
}

// insertNew inserts members, each with everything that goes with them in
// one statement, all in one round trip; false means the address already
// has a live membership (an erased member's tombstone does not count).
func (s *Service) insertNew(ctx context.Context, tx pgx.Tx, params []store.MemberSignupInsertParams) ([]bool, error) {
	created := make([]bool, len(params))
	var failed error
	store.Q.MemberSignupInsert(ctx, tx, params).QueryRow(func(i int, _ uuid.UUID, err error) {
		created[i] = err == nil
		if err != nil && !store.IsNotFound(err) && failed == nil {
			failed = fmt.Errorf("sign up: %w", err)
		}
	})
	return created, failed
}

// signupExisting handles a signup for an address with a live membership
// without changing what is stored: a pending member gets a fresh
// confirmation, an active or unsubscribed one an "already a member" email
// with a sign-in link. (An erased member's tombstone is not a live
// membership: joining again made a new one.)
func (s *Service) signupExisting(ctx context.Context, tx pgx.Tx, out enqueuer, hash []byte, in Signup) error {
	row, err := store.Q.MemberGetByEmailHashToMail(ctx, tx, hash)
	if store.IsNotFound(err) {
		return nil // erased since the insert found it: nobody to write to
	}
	if err != nil {
		return fmt.Errorf("sign up: %w", err)
	}
	l := s.signInLink(row.ID, emailAlreadyMember)
	if row.Status == StatusPending {
		l = s.confirmLink(row.ID)
	}
	return s.sendLinks(ctx, tx, out, []linkRequest{{hash: hash, kind: signupThrottle(in), interval: s.settings.EmailInterval, link: withSharing(l, in)}})
}

func (s *Service) recordConsents(ctx context.Context, tx pgx.Tx, id uuid.UUID, b consentBatch, source string, keyID *uuid.UUID) error {
	if b.empty() {
		return nil
	}
	err := store.Q.ConsentInsert(ctx, tx, store.ConsentInsertParams{MemberID: id, Purposes: b.purposes, Granted: b.granted,
		Versions: b.versions, Hashes: b.hashes, Source: source, SourceKeyID: keyID, RequestID: store.NullText(logging.RequestID(ctx))})
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

func (s *Service) auditSignup(ctx context.Context, tx pgx.Tx, id uuid.UUID, in Signup) error {
	if in.Source == SourceSite {
		return nil // the person themself: nothing for the staff audit trail
	}
	return audit.Record(ctx, tx, audit.Event{Action: "member.create", TargetType: "member", TargetID: id.String(), Details: map[string]any{"source": in.Source}})
}

// link is an email carrying a single-use token for a member. The email
// itself is written when it is sent (composeLink): its job names the
// member, the template and the token's reference.
type link struct {
	member   uuid.UUID
	purpose  string // "confirm" or "magic-link"
	ttl      time.Duration
	template string
	// partner, partnerKey: using the link confirms the partner-sharing
	// consent given through this organisation's signup (see confirmSharing);
	// the email names it partnerName.
	partner, partnerKey *uuid.UUID
	partnerName         string
}

// confirmLink is a confirmation email, valid ConfirmTTL.
func (s *Service) confirmLink(id uuid.UUID) link {
	return link{member: id, purpose: "confirm", ttl: s.settings.ConfirmTTL, template: emailConfirm}
}

// signInLink is an email (template: a sign-in link, or "already a member")
// carrying a sign-in link. Every sign-in link is minted here, so all live
// MagicLinkTTL, whichever email carries them.
func (s *Service) signInLink(id uuid.UUID, template string) link {
	return link{member: id, purpose: "magic-link", ttl: s.settings.MagicLinkTTL, template: template}
}

// sendLink queues l's email with a fresh token, unless an email of kind
// went to the address behind hash within interval. The token is minted
// only when its email is queued: a throttled request leaves no live token
// behind that no email carries.
func (s *Service) sendLink(ctx context.Context, tx pgx.Tx, hash []byte, kind string, interval time.Duration, l link) error {
	return s.sendLinks(ctx, tx, s.outbox, []linkRequest{{hash: hash, kind: kind, interval: interval, link: l}})
}

// enqueuer queues composed email: the outbox, or a batch of it.
type enqueuer interface {
	Compose(ctx context.Context, tx pgx.Tx, args mail.ComposeArgs) error
}

// linkRequest is a link to send to the address behind hash, unless an
// email of kind went to it within interval.
type linkRequest struct {
	hash     []byte
	kind     string
	interval time.Duration
	link     link
}

// sendLinks is sendLink for many, queueing the emails into out: the
// throttle claims go to the database in one round trip, and the tokens of
// those not throttled in another. Each token is derived from a random
// reference with the hash key (linkToken): the job carries the
// reference, the database the token's hash, neither the token.
func (s *Service) sendLinks(ctx context.Context, tx pgx.Tx, out enqueuer, rs []linkRequest) error {
	if len(rs) == 0 {
		return nil
	}
	now := s.now()
	claims := make([]store.MemberThrottleTakeParams, len(rs))
	for i, r := range rs {
		claims[i] = store.MemberThrottleTakeParams{EmailHash: r.hash, Kind: r.kind, Now: now, IntervalSeconds: int32(r.interval.Seconds())}
	}
	claimed := make([]bool, len(rs))
	var failed error
	store.Q.MemberThrottleTake(ctx, tx, claims).QueryRow(func(i int, _ string, err error) {
		claimed[i] = err == nil // no row: an email of this kind went within the interval
		if err != nil && !store.IsNotFound(err) && failed == nil {
			failed = fmt.Errorf("email throttle: %w", err)
		}
	})
	if failed != nil {
		return failed
	}
	tokens := make([]store.MemberTokenInsertParams, 0, len(rs))
	emails := make([]mail.ComposeArgs, 0, len(rs))
	for i, r := range rs {
		if !claimed[i] {
			continue
		}
		ref, l := newLinkRef(), r.link
		tokens = append(tokens, store.MemberTokenInsertParams{TokenHash: hashToken(s.linkToken(ref)), MemberID: l.member, Purpose: l.purpose,
			ExpiresAt: now.Add(l.ttl), PartnerOrganisationID: l.partner, PartnerKeyID: l.partnerKey})
		emails = append(emails, mail.ComposeArgs{Template: l.template, MemberID: l.member, Token: ref, Partner: l.partnerName})
	}
	if len(tokens) == 0 {
		return nil
	}
	store.Q.MemberTokenInsert(ctx, tx, tokens).Exec(func(_ int, err error) {
		if err != nil && failed == nil {
			failed = fmt.Errorf("store member token: %w", err)
		}
	})
	if failed != nil {
		return failed
	}
	for _, e := range emails {
		if err := out.Compose(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Confirmed is what confirming a membership returns: a self-service
// token, so the new member can set their preferences straight away.
type Confirmed struct {
	MemberID  uuid.UUID
	Token     string
	ExpiresAt time.Time
}

// errBadLink answers a confirmation or sign-in token that is unknown,
// used or expired. It is a 422 on the token field, not a 401: the request
// is not unauthenticated, its input is stale.
var errBadLink = &hpa.Error{Code: hpa.EINVALID, Reason: ReasonInvalidLink, Message: "this link is not valid: it may have expired or been used already; ask for a new one",
	Fields: []hpa.FieldError{{Location: "body.token", Message: "unknown, used or expired"}}}

// Confirm activates the membership a confirmation token belongs to. Each
// token works once.
func (s *Service) Confirm(ctx context.Context, token string) (*Confirmed, error) {
	var out *Confirmed
	err := s.withTx(ctx, func(tx pgx.Tx) error {
		used, err := store.Q.MemberTokenUse(ctx, tx, store.MemberTokenUseParams{TokenHash: hashToken(token), Purpose: "confirm", Now: s.now()})
		if store.IsNotFound(err) {
			return errBadLink
		}
		if err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		if _, err := store.Q.MemberActivate(ctx, tx, used.MemberID); store.IsNotFound(err) {
			return errBadLink // unsubscribed or erased since
		} else if err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		if err := s.confirmSharing(ctx, tx, used); err != nil {
			return err
		}
		out, err = s.session(used.MemberID)
		return err
	})
	return out, err
}

func (s *Service) session(id uuid.UUID) (*Confirmed, error) {
	tok, exp, err := s.tokens.Issue(identity.AudienceMember, id.String(), nil, s.settings.MemberTokenTTL)
	if err != nil {
		return nil, err
	}
	return &Confirmed{MemberID: id, Token: tok, ExpiresAt: exp}, nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
