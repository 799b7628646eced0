package content

import (
	"context"
	"embed"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	hpamail "github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// MailTemplates are the emails this package sends; pass them to
// mail.NewRenderer.
//
//go:embed templates/*.tmpl
var MailTemplates embed.FS

// Topics an enquiry can be about.
var Topics = []string{"general", "work-with-us", "media", "research", "other"}

// Enquiry statuses.
const (
	EnquiryNew     = "new"
	EnquiryHandled = "handled"
)

// Outbox queues email in the transaction that causes it (mail.Outbox).
type Outbox interface {
	Enqueue(ctx context.Context, tx pgx.Tx, e hpamail.Email) error
}

// EnquirySettings configure the enquiry form.
type EnquirySettings struct {
	// NotifyTo are the staff addresses told about each new enquiry.
	NotifyTo []string
	// MinFillTime is how long after fetching a form token it may be sent.
	MinFillTime time.Duration
	// TokenMaxAge is how long a form token stays usable.
	TokenMaxAge time.Duration
	// FormKeys sign form tokens (the first) and verify them (all).
	FormKeys [][]byte
	// Retention is how long enquiries are kept (see Purge).
	Retention time.Duration
}

// Enquiries receives "get in touch" messages and lets staff handle them.
// Enquiries are personal data, and a message can say "my hospital harmed
// me": name, email and message are sealed at rest, every staff read is
// audited, and they are deleted once the retention period passes (Purge)
// or when the person asks (EraseByEmail).
type Enquiries struct {
	db        store.DB
	content   *Service
	outbox    Outbox
	ring      *sealed.Ring
	hasher    *sealed.Hasher
	notifyTo  []string
	retention time.Duration
	tokens    *formTokens
	now       func() time.Time
}

// EnquiryDeps are what the enquiry service uses besides the database.
type EnquiryDeps struct {
	// Content supplies the current audiences an enquiry may name.
	Content *Service
	// Outbox tells staff about new enquiries.
	Outbox Outbox
	// Ring and Hasher seal what people send.
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
}

// NewEnquiries returns the enquiry service.
func NewEnquiries(db store.DB, deps EnquiryDeps, settings EnquirySettings, now func() time.Time) *Enquiries {
	return &Enquiries{db: db, content: deps.Content, outbox: deps.Outbox, ring: deps.Ring, hasher: deps.Hasher,
		notifyTo: settings.NotifyTo, retention: settings.Retention, now: now,
		tokens: &formTokens{keys: settings.FormKeys, minFill: settings.MinFillTime, maxAge: settings.TokenMaxAge, now: now}}
}

// FormToken issues a token for one enquiry form.
func (e *Enquiries) FormToken() FormToken { return e.tokens.issue() }

// EnquiryInput is what a person sends through the form.
type EnquiryInput struct {
	Name, Email, Audience, Topic, Message string
	ReplyConsent                          bool
	FormToken                             string
	// Honeypot is a form field people never see or fill in; bots do.
	Honeypot string
}

// Submit checks and stores an enquiry and tells staff about it. A filled
// honeypot is accepted and silently dropped, so bots learn nothing.
func (e *Enquiries) Submit(ctx context.Context, in EnquiryInput) error {
	if in.Honeypot != "" {
		return nil
	}
	nonce, expires, err := e.tokens.check(in.FormToken)
	if err != nil {
		return err
	}
	if err := e.validate(ctx, &in); err != nil {
		return err
	}
	return store.WithTx(ctx, e.db, func(tx pgx.Tx) error {
		n, err := store.Q.EnquiryFormTokenUse(ctx, tx, store.EnquiryFormTokenUseParams{Nonce: nonce, ExpiresAt: expires})
		if err != nil {
			return fmt.Errorf("use form token: %w", err)
		}
		if n == 0 {
			return hpa.Errorf(hpa.EINVALID, "this form was already sent; reload it to send another message").WithReason(ReasonFormTokenUsed)
		}
		id := uuid.New()
		err = store.Q.EnquiryInsert(ctx, tx, store.EnquiryInsertParams{ID: id,
			NameSealed: e.ring.SealString(in.Name, enquiryContext(id, "name")), EmailSealed: e.ring.SealString(in.Email, enquiryContext(id, "email")),
			MessageSealed: e.ring.SealString(in.Message, enquiryContext(id, "message")), EmailHash: e.hasher.Email(in.Email),
			Audience: emptyAsNil(&in.Audience), Topic: in.Topic, ReplyConsent: in.ReplyConsent})
		if err != nil {
			return fmt.Errorf("store enquiry: %w", err)
		}
		for _, to := range e.notifyTo {
			if err := e.outbox.Enqueue(ctx, tx, hpamail.Email{Template: "enquiry-received", To: to, Data: map[string]any{
				"Reference": id.String(), "Topic": in.Topic, "Audience": in.Audience, "ReplyConsent": in.ReplyConsent,
				"ReceivedAt": e.now().UTC().Format("2 January 2006 15:04 MST"),
			}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "enquiry.receive", TargetType: "enquiry", TargetID: id.String(),
			Details: map[string]any{"topic": in.Topic, "notified": len(e.notifyTo)}})
	})
}

func (e *Enquiries) validate(ctx context.Context, in *EnquiryInput) error {
	in.Name, in.Message, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Message), strings.TrimSpace(in.Email)
	if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email {
		return hpa.Invalid("body.email", "must be an email address such as name@example.org")
	}
	if !slices.Contains(Topics, in.Topic) {
		return hpa.Invalid("body.topic", "must be one of "+strings.Join(Topics, ", "))
	}
	if err := checkText(map[string]string{"body.name": in.Name, "body.message": in.Message}); err != nil {
		return err
	}
	if in.Name == "" {
		return hpa.Invalid("body.name", "is required")
	}
	if in.Message == "" {
		return hpa.Invalid("body.message", "is required")
	}
	if in.Audience == "" {
		return nil
	}
	audiences, err := e.content.Audiences(ctx)
	if err != nil {
		return err
	}
	for _, a := range audiences.Items {
		if a.Key == in.Audience {
			return nil
		}
	}
	return hpa.Invalid("body.audience", "must be the key of one of the audiences in GET /v1/audiences")
}

// checkText refuses control characters (other than line breaks and tabs)
// in free text: PostgreSQL cannot store NUL, and the rest only hide text.
func checkText(fields map[string]string) error {
	for location, v := range fields {
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f }) {
			return hpa.Invalid(location, "must not contain control characters")
		}
	}
	return nil
}

// Enquiry is an enquiry as staff see it.
type Enquiry struct {
	ID           uuid.UUID
	Name         string
	Email        string
	Audience     string
	Topic        string
	Message      string
	ReplyConsent bool
	Status       string
	AssignedTo   *uuid.UUID
	HandledBy    *uuid.UUID
	HandledAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// enquiryContext binds a sealed enquiry field to its row and column.
func enquiryContext(id uuid.UUID, column string) string {
	return "enquiries." + column + ":" + id.String()
}

// openField unseals one sealed field of enquiry id.
func (e *Enquiries) openField(id uuid.UUID, column string, box []byte) (string, error) {
	v, err := e.ring.OpenString(box, enquiryContext(id, column))
	if err != nil {
		return "", fmt.Errorf("open enquiry %s %s: %w", id, column, err)
	}
	return v, nil
}

// openSender unseals who sent enquiry id: their name and address.
func (e *Enquiries) openSender(id uuid.UUID, name, email []byte) (string, string, error) {
	n, err := e.openField(id, "name", name)
	if err != nil {
		return "", "", err
	}
	m, err := e.openField(id, "email", email)
	return n, m, err
}

func (e *Enquiries) fromRow(r store.Enquiry) (*Enquiry, error) {
	out := &Enquiry{ID: r.ID, Audience: store.Text(r.Audience), Topic: r.Topic,
		ReplyConsent: r.ReplyConsent, Status: r.Status, AssignedTo: r.AssignedTo, HandledBy: r.HandledBy, HandledAt: utc(r.HandledAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	var err error
	if out.Name, out.Email, err = e.openSender(r.ID, r.NameSealed, r.EmailSealed); err != nil {
		return nil, err
	}
	if out.Message, err = e.openField(r.ID, "message", r.MessageSealed); err != nil {
		return nil, err
	}
	return out, nil
}
