package database

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/pressly/goose/v3"
)

// Sealer holds the keys the data migrations need to seal personal data
// that older versions stored in clear, and to re-seal values in an older
// format. Without one (a fresh, empty database), those migrations run only
// while there is nothing to seal, and refuse otherwise.
type Sealer struct {
	Ring   *sealed.Ring
	Hasher *sealed.Hasher
}

// errNoKeys is a data migration meeting rows without the keys to seal them.
var errNoKeys = errors.New("sealing personal data needs the encryption and hash keys (HPA_ENCRYPTION_KEYS, HPA_HASH_KEY)")

// SealedColumn is a column of sealed values and the context each value is
// bound to: ContextPrefix followed by the row's ID. KeyIDColumn, where
// set, names the column that records the sealing key; Since is the
// migration version that created the column.
type SealedColumn struct {
	Table, IDColumn, Column, KeyIDColumn, ContextPrefix string
	Since                                               int64
}

// SealedColumns is every sealed column, for what must reach all sealed
// personal data (re-sealing, and the erasure test that proves none is
// left). The contexts are the ones the capability packages seal with;
// TestErasureLeavesNothingBehind opens them on data written through the
// API, and TestEverySealedColumnIsListed checks none is missing.
func SealedColumns() []SealedColumn { return slices.Clone(sealedColumns) }

var sealedColumns = []SealedColumn{
	{"members", "id", "email_sealed", "", "members.email:", 20},
	{"member_sensitive", "member_id", "harmed_sealed", "", "member_sensitive.harmed:", 20},
	{"member_sensitive", "member_id", "experience_sealed", "", "member_sensitive.experience:", 20},
	{"member_sensitive", "member_id", "accessibility_needs_sealed", "", "member_sensitive.accessibility_needs:", 20},
	{"registrations", "id", "email_sealed", "", "registrations.email:", 50},
	{"registrations", "id", "accessibility_sealed", "", "registrations.accessibility:", 50},
	{"gift_aid_declarations", "id", "personal_sealed", "key_id", "gift_aid_declarations.personal:", 41},
	{"donation_checkouts", "id", "gift_aid_sealed", "gift_aid_key_id", "donation_checkouts.gift_aid:", 40},
	{"enquiries", "id", "name_sealed", "", "enquiries.name:", 60},
	{"enquiries", "id", "email_sealed", "", "enquiries.email:", 60},
	{"enquiries", "id", "message_sealed", "", "enquiries.message:", 60},
	{"member_signup_requests", "id", "payload_sealed", "", "member_signup_requests:", 71},
	{"webhook_endpoints", "id", "secret_sealed", "", "webhook_endpoints.secret:", 120},
	// A rotated secret keeps the context it was sealed with.
	{"webhook_endpoints", "id", "previous_secret_sealed", "", "webhook_endpoints.secret:", 120},
	{"webhook_events", "id", "payload_sealed", "", "webhook_events.payload:", 120},
	{"donors", "id", "email_sealed", "", "donors.email:", 80},
}

// dataMigrations are the Go migrations that need the sealing keys.
func dataMigrations(s *Sealer) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(61,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				if err := s.sealEnquiries(ctx, tx); err != nil {
					return err
				}
				return s.resealAll(ctx, tx, 61)
			}},
			&goose.GoFunc{RunTx: s.openEnquiries}),
		goose.NewGoMigration(63, &goose.GoFunc{RunTx: s.sealQueuedMail}, nil),
		goose.NewGoMigration(81, &goose.GoFunc{RunTx: s.sealDonors}, &goose.GoFunc{RunTx: s.openDonors}),
	}
}

// sealQueuedMail seals the outbox jobs written before mail was sealed
// (queued or finished): their arguments held the address and the email's
// data in clear.
func (s *Sealer) sealQueuedMail(ctx context.Context, tx *sql.Tx) error {
	type job struct {
		id   int64
		args []byte
	}
	var open []job
	err := eachRow(ctx, tx, `SELECT id, args FROM river_job WHERE kind = 'mail.send' AND args ? 'to'`, func(r *sql.Rows) error {
		var j job
		if err := r.Scan(&j.id, &j.args); err != nil {
			return err
		}
		open = append(open, j)
		return nil
	})
	if err != nil || len(open) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	for _, j := range open {
		var e mail.Email
		if err := json.Unmarshal(j.args, &e); err != nil {
			return fmt.Errorf("outbox job %d: %w", j.id, err)
		}
		var named struct {
			Template string `json:"template"`
		}
		_ = json.Unmarshal(j.args, &named)
		e.Template = named.Template
		args, err := mail.Seal(s.Ring, s.Hasher, e)
		if err != nil {
			return err
		}
		encoded, err := json.Marshal(args)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE river_job SET args = $2 WHERE id = $1`, j.id, encoded); err != nil {
			return fmt.Errorf("seal outbox job %d: %w", j.id, err)
		}
	}
	return nil
}

// sealEnquiries moves each enquiry's name, email and message from the
// plaintext columns into sealed ones, with the keyed hash of the address
// that finds a person's enquiries when they ask to be forgotten.
func (s *Sealer) sealEnquiries(ctx context.Context, tx *sql.Tx) error {
	type enquiry struct {
		id                   uuid.UUID
		name, email, message string
	}
	var pending []enquiry
	err := eachRow(ctx, tx, `SELECT id, name, email, message FROM enquiries WHERE name IS NOT NULL`, func(r *sql.Rows) error {
		var e enquiry
		if err := r.Scan(&e.id, &e.name, &e.email, &e.message); err != nil {
			return err
		}
		pending = append(pending, e)
		return nil
	})
	if err != nil || len(pending) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	for _, e := range pending {
		id := e.id.String()
		if _, err := tx.ExecContext(ctx, `UPDATE enquiries SET name_sealed = $2, email_sealed = $3, message_sealed = $4, email_hash = $5,
			name = NULL, email = NULL, message = NULL WHERE id = $1`, e.id,
			s.Ring.SealString(e.name, "enquiries.name:"+id), s.Ring.SealString(e.email, "enquiries.email:"+id),
			s.Ring.SealString(e.message, "enquiries.message:"+id), s.Hasher.Email(e.email)); err != nil {
			return fmt.Errorf("seal enquiry %s: %w", id, err)
		}
	}
	return nil
}

// openEnquiries undoes sealEnquiries, for a rollback to the version that
// kept enquiries in clear.
func (s *Sealer) openEnquiries(ctx context.Context, tx *sql.Tx) error {
	type enquiry struct {
		id                   uuid.UUID
		name, email, message []byte
	}
	var sealedRows []enquiry
	err := eachRow(ctx, tx, `SELECT id, name_sealed, email_sealed, message_sealed FROM enquiries WHERE name_sealed IS NOT NULL`, func(r *sql.Rows) error {
		var e enquiry
		if err := r.Scan(&e.id, &e.name, &e.email, &e.message); err != nil {
			return err
		}
		sealedRows = append(sealedRows, e)
		return nil
	})
	if err != nil || len(sealedRows) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	for _, e := range sealedRows {
		id := e.id.String()
		var plain [3]string
		for i, v := range [][]byte{e.name, e.email, e.message} {
			column := [...]string{"name", "email", "message"}[i]
			if plain[i], err = s.Ring.OpenString(v, "enquiries."+column+":"+id); err != nil {
				return fmt.Errorf("open enquiry %s %s: %w", id, column, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enquiries SET name = $2, email = $3, message = $4 WHERE id = $1`, e.id, plain[0], plain[1], plain[2]); err != nil {
			return fmt.Errorf("open enquiry %s: %w", id, err)
		}
	}
	return nil
}

// sealDonors moves each donor's address from the plaintext column into
// the sealed one, with the keyed hash that finds the donor by it.
func (s *Sealer) sealDonors(ctx context.Context, tx *sql.Tx) error {
	type donor struct {
		id    uuid.UUID
		email string
	}
	var pending []donor
	err := eachRow(ctx, tx, `SELECT id, email FROM donors WHERE email IS NOT NULL`, func(r *sql.Rows) error {
		var d donor
		if err := r.Scan(&d.id, &d.email); err != nil {
			return err
		}
		pending = append(pending, d)
		return nil
	})
	if err != nil || len(pending) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	for _, d := range pending {
		if _, err := tx.ExecContext(ctx, `UPDATE donors SET email_sealed = $2, email_hash = $3, email = NULL WHERE id = $1`,
			d.id, s.Ring.SealString(d.email, "donors.email:"+d.id.String()), s.Hasher.Email(d.email)); err != nil {
			return fmt.Errorf("seal donor %s: %w", d.id, err)
		}
	}
	return nil
}

// openDonors undoes sealDonors, for a rollback to the version that kept
// donors' addresses in clear.
func (s *Sealer) openDonors(ctx context.Context, tx *sql.Tx) error {
	type donor struct {
		id  uuid.UUID
		box []byte
	}
	var sealedRows []donor
	err := eachRow(ctx, tx, `SELECT id, email_sealed FROM donors WHERE email_sealed IS NOT NULL`, func(r *sql.Rows) error {
		var d donor
		if err := r.Scan(&d.id, &d.box); err != nil {
			return err
		}
		sealedRows = append(sealedRows, d)
		return nil
	})
	if err != nil || len(sealedRows) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	for _, d := range sealedRows {
		email, err := s.Ring.OpenString(d.box, "donors.email:"+d.id.String())
		if err != nil {
			return fmt.Errorf("open donor %s email: %w", d.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE donors SET email = $2 WHERE id = $1`, d.id, email); err != nil {
			return fmt.Errorf("open donor %s: %w", d.id, err)
		}
	}
	return nil
}

// resealAll seals every value again that is not in the current format
// with the current key: padded (so a value's length tells nothing), and
// no longer needing a retired key. version is the migration running it:
// only the columns that exist by then are touched.
func (s *Sealer) resealAll(ctx context.Context, tx *sql.Tx, version int64) error {
	for _, c := range sealedColumns {
		if c.Since > version {
			continue
		}
		if err := s.reseal(ctx, tx, c); err != nil {
			return fmt.Errorf("re-seal %s.%s: %w", c.Table, c.Column, err)
		}
	}
	return nil
}

func (s *Sealer) reseal(ctx context.Context, tx *sql.Tx, c SealedColumn) error {
	type value struct {
		id  uuid.UUID
		box []byte
	}
	var stale []value
	query := fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %[2]s IS NOT NULL`, c.IDColumn, c.Column, c.Table)
	err := eachRow(ctx, tx, query, func(r *sql.Rows) error {
		var v value
		if err := r.Scan(&v.id, &v.box); err != nil {
			return err
		}
		if s == nil || !s.Ring.Current(v.box) {
			stale = append(stale, v)
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return err
	}
	if s == nil {
		return errNoKeys
	}
	set := fmt.Sprintf(`UPDATE %s SET %s = $2 WHERE %s = $1`, c.Table, c.Column, c.IDColumn)
	if c.KeyIDColumn != "" {
		set = fmt.Sprintf(`UPDATE %s SET %s = $2, %s = $3 WHERE %s = $1`, c.Table, c.Column, c.KeyIDColumn, c.IDColumn)
	}
	for _, v := range stale {
		context := c.ContextPrefix + v.id.String()
		plain, err := s.Ring.Open(v.box, context)
		if err != nil {
			return fmt.Errorf("row %s: %w", v.id, err)
		}
		box := s.Ring.Seal(plain, context)
		args := []any{v.id, box}
		if c.KeyIDColumn != "" {
			args = append(args, sealed.KeyID(box))
		}
		if _, err := tx.ExecContext(ctx, set, args...); err != nil {
			return fmt.Errorf("row %s: %w", v.id, err)
		}
	}
	return nil
}

// eachRow runs query and calls fn for each row.
func eachRow(ctx context.Context, tx *sql.Tx, query string, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
