package giftaid

import (
	"bytes"
	"context"
	"embed"
	"text/template"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// oralCancellationDays is how long after the written record of an oral
// declaration is sent the donor may cancel it from the start (HMRC).
const oralCancellationDays = 30

// withinOralWindow reports whether cancelling the declaration today would
// undo it from the start: an oral declaration resting on a written record
// not yet sent, or sent no more than 30 days ago.
func withinOralWindow(d store.GiftAidDeclaration, today time.Time) bool {
	if Method(d.Method) != MethodOral || d.RecordingReference != nil {
		return false
	}
	return d.ConfirmationSentOn == nil || !today.After(d.ConfirmationSentOn.AddDate(0, 0, oralCancellationDays))
}

// oralSettledBy is the latest date a written record may have been sent
// for its oral declaration to count today: the donor's 30 days are over.
func oralSettledBy(today time.Time) time.Time { return today.AddDate(0, 0, -oralCancellationDays-1) }

//go:embed templates/written-record.txt.tmpl
var templates embed.FS

var writtenRecord = template.Must(template.ParseFS(templates, "templates/written-record.txt.tmpl"))

// covers describes in words which gifts a scope covers.
var covers = map[Scope]string{
	ScopeThisGift:               "the gift you made when you declared",
	ScopeThisAndFuture:          "the gift you made when you declared and every gift you make from then on",
	ScopePastFourYearsAndFuture: "every gift you made in the four years before you declared, and every gift you make from then on",
}

// RecordWrittenRecord notes that the written record of an oral
// declaration was sent to the donor on sentOn, and returns the declaration
// and the record (a letter) as sent. The donor's 30 days to cancel run
// from sentOn; the declaration covers gifts once they have passed.
func (s *Service) RecordWrittenRecord(ctx context.Context, id uuid.UUID, sentOn time.Time) (*Declaration, string, error) {
	if sentOn.After(s.today()) {
		return nil, "", hpa.Invalid("body.sent_on", "must not be in the future")
	}
	var d *Declaration
	var letter string
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		row, err := s.oralAwaitingRecord(ctx, tx, id)
		if err != nil {
			return err
		}
		if row.ConfirmationSentOn != nil {
			return hpa.Errorf(hpa.ECONFLICT, "the written record of this declaration was sent on %s", row.ConfirmationSentOn.Format(time.DateOnly)).WithReason(ReasonWrittenRecordAlreadySent)
		}
		if row.CancelledAt != nil {
			return hpa.Errorf(hpa.ECONFLICT, "this declaration is cancelled").WithReason(ReasonDeclarationAlreadyCancelled)
		}
		if sentOn.Before(row.DeclaredOn) {
			return hpa.Invalid("body.sent_on", "must not be before the declaration was made")
		}
		if row, err = store.Q.DeclarationSetWrittenRecord(ctx, tx, store.DeclarationSetWrittenRecordParams{ID: id, SentOn: &sentOn}); err != nil {
			return err
		}
		if d, err = s.open(row); err != nil {
			return err
		}
		if letter, err = renderWrittenRecord(d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "gift_aid.written_record_sent", TargetType: "gift_aid_declaration", TargetID: id.String(),
			Details: map[string]any{"sent_on": sentOn.Format(time.DateOnly)}})
	})
	return d, letter, err
}

// WrittenRecord returns the written record of an oral declaration as it
// was sent, audit-logged (it holds the donor's name and address).
func (s *Service) WrittenRecord(ctx context.Context, id uuid.UUID) (string, error) {
	row, err := s.oralAwaitingRecord(ctx, s.db, id)
	if err != nil {
		return "", err
	}
	if row.ConfirmationSentOn == nil {
		return "", hpa.Errorf(hpa.ECONFLICT, "no written record of this declaration has been sent yet: record sending it first").WithReason(ReasonWrittenRecordNotSent)
	}
	d, err := s.open(row)
	if err != nil {
		return "", err
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "gift_aid.written_record_read", TargetType: "gift_aid_declaration", TargetID: id.String()}); err != nil {
		return "", err
	}
	return renderWrittenRecord(d)
}

// oralAwaitingRecord returns an oral declaration that rests on a written
// record (not a recording of the call), locked when db is a transaction.
func (s *Service) oralAwaitingRecord(ctx context.Context, db store.DBTX, id uuid.UUID) (store.GiftAidDeclaration, error) {
	get := store.Q.DeclarationGet
	if _, ok := db.(pgx.Tx); ok {
		get = store.Q.DeclarationGetForUpdate
	}
	row, err := get(ctx, db, id)
	if store.IsNotFound(err) {
		return row, hpa.Errorf(hpa.ENOTFOUND, "no Gift Aid declaration has this ID")
	}
	if err != nil {
		return row, err
	}
	if Method(row.Method) != MethodOral {
		return row, hpa.Errorf(hpa.ECONFLICT, "a written record is for oral declarations; this one was made %s", row.Method).WithReason(ReasonDeclarationNotOral)
	}
	if row.RecordingReference != nil {
		return row, hpa.Errorf(hpa.ECONFLICT, "this oral declaration was recorded, so HMRC needs no written record").WithReason(ReasonWrittenRecordNotNeeded)
	}
	return row, nil
}

func renderWrittenRecord(d *Declaration) (string, error) {
	var buf bytes.Buffer
	err := writtenRecord.Execute(&buf, map[string]any{
		"Person": d.Person, "Wording": d.Wording, "Covers": covers[d.Scope], "Reference": d.ID.String(),
		"DeclaredOn": d.DeclaredOn.Format(longDate), "SentOn": d.ConfirmationSentOn.Format(longDate),
		"CancelBy": d.ConfirmationSentOn.AddDate(0, 0, oralCancellationDays).Format(longDate),
	})
	return buf.String(), err
}

// longDate renders a UK date for people: "6 April 2026".
const longDate = "2 January 2006"
