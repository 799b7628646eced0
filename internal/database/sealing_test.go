package database_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/sealed"
	"github.com/pressly/goose/v3"
)

var testKey = sealed.Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}

// sealUnpadded seals as the first version did: no padding.
func sealUnpadded(t *testing.T, plaintext, context string) []byte {
	block, err := aes.NewCipher(testKey.Secret)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := bytes.Repeat([]byte{7}, aead.NonceSize())
	out := append([]byte{1, byte(len(testKey.ID))}, testKey.ID...)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, []byte(plaintext), []byte(context))
}

// atVersion returns a database migrated up to version, and its provider.
func atVersion(t *testing.T, version int64, sealer *database.Sealer) (*sql.DB, *goose.Provider) {
	t.Helper()
	conn, err := sql.Open("pgx", pgtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	provider, err := database.NewProvider(conn, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return conn, provider
}

// jsonOf scans a JSON column into v.
type jsonScanner struct{ v any }

func (j jsonScanner) Scan(src any) error { return json.Unmarshal(src.([]byte), j.v) }

func jsonOf(v any) jsonScanner { return jsonScanner{v} }

func exec(t *testing.T, conn *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Data written before enquiries and donors' addresses were sealed and
// before sealed values were padded is sealed (and padded) by the
// migrations, and still reads the same.
func TestMigrationSealsWhatWasStoredBefore(t *testing.T) {
	ring, err := sealed.NewRing([]sealed.Key{testKey})
	if err != nil {
		t.Fatal(err)
	}
	hasher, _ := sealed.NewHasher(bytes.Repeat([]byte{2}, 32))
	conn, provider := atVersion(t, 59, &database.Sealer{Ring: ring, Hasher: hasher})

	member, enquiry, checkout, donor := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	exec(t, conn, `INSERT INTO members (id, email_hash, email_sealed, status, source) VALUES ($1, '\x01', $2, 'active', 'site')`,
		member, sealUnpadded(t, "ann@example.org", "members.email:"+member.String()))
	exec(t, conn, `INSERT INTO member_sensitive (member_id, harmed_sealed) VALUES ($1, $2)`,
		member, sealUnpadded(t, "family", "member_sensitive.harmed:"+member.String()))
	exec(t, conn, `INSERT INTO donation_checkouts (id, frequency, amount_pence, campaign_id, gift_aid_key_id, gift_aid_sealed)
		SELECT $1, 'one_off', 500, id, 'k1', $2 FROM campaigns WHERE slug = 'general'`,
		checkout, sealUnpadded(t, `{"first_name":"Ann"}`, "donation_checkouts.gift_aid:"+checkout.String()))
	exec(t, conn, `INSERT INTO enquiries (id, name, email, topic, message, reply_consent) VALUES ($1, 'Ann Example', 'Ann.E+x@Example.org', 'general', 'The ward harmed me.', true)`, enquiry)
	exec(t, conn, `INSERT INTO donors (id, email, name) VALUES ($1, 'dora.d+gift@example.org', 'Dora')`, donor)

	exec(t, conn, `INSERT INTO river_job (kind, args, queue, max_attempts, state) VALUES ('mail.send',
		'{"template": "member-confirm", "to": "Ann@example.org", "data": {"Name": "Ann Example"}, "unsubscribe_url": "https://x.example/u"}', 'mail', 12, 'available')`)

	if _, err := provider.Up(context.Background()); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	var args mail.SendArgs
	if err := conn.QueryRow(`SELECT args FROM river_job`).Scan(jsonOf(&args)); err != nil {
		t.Fatal(err)
	}
	if e, err := mail.Open(ring, args); err != nil || e.To != "Ann@example.org" || e.Template != "member-confirm" || e.Data["Name"] != "Ann Example" ||
		e.UnsubscribeURL != "https://x.example/u" || args.Recipient != mail.RecipientKey(hasher, "ann@example.org") {
		t.Errorf("sealed outbox job: %+v %v", e, err)
	}
	for _, c := range []struct{ query, context, want string }{
		{`SELECT email_sealed FROM members`, "members.email:" + member.String(), "ann@example.org"},
		{`SELECT harmed_sealed FROM member_sensitive`, "member_sensitive.harmed:" + member.String(), "family"},
		{`SELECT gift_aid_sealed FROM donation_checkouts`, "donation_checkouts.gift_aid:" + checkout.String(), `{"first_name":"Ann"}`},
		{`SELECT name_sealed FROM enquiries`, "enquiries.name:" + enquiry.String(), "Ann Example"},
		{`SELECT email_sealed FROM enquiries`, "enquiries.email:" + enquiry.String(), "Ann.E+x@Example.org"},
		{`SELECT message_sealed FROM enquiries`, "enquiries.message:" + enquiry.String(), "The ward harmed me."},
		{`SELECT email_sealed FROM donors`, "donors.email:" + donor.String(), "dora.d+gift@example.org"},
	} {
		var box []byte
		if err := conn.QueryRow(c.query).Scan(&box); err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got, err := ring.OpenString(box, c.context); err != nil || got != c.want || !ring.Current(box) {
			t.Errorf("%s: %q %v, current format: %v", c.query, got, err, ring.Current(box))
		}
	}
	var hash []byte
	if err := conn.QueryRow(`SELECT email_hash FROM enquiries`).Scan(&hash); err != nil || !bytes.Equal(hash, hasher.Email("ann.e@example.org")) {
		t.Errorf("enquiry email hash: %x %v", hash, err)
	}
	if err := conn.QueryRow(`SELECT email_hash FROM donors`).Scan(&hash); err != nil || !bytes.Equal(hash, hasher.Email("dora.d@example.org")) {
		t.Errorf("donor email hash: %x %v", hash, err)
	}

	// Rolling back opens enquiries and donors' addresses again for the
	// version that read them in clear.
	if _, err := provider.DownTo(context.Background(), 59); err != nil {
		t.Fatalf("migrate down: %v", err)
	}
	var message string
	if err := conn.QueryRow(`SELECT message FROM enquiries`).Scan(&message); err != nil || message != "The ward harmed me." {
		t.Errorf("after rollback: %q %v", message, err)
	}
	var email string
	if err := conn.QueryRow(`SELECT email FROM donors`).Scan(&email); err != nil || email != "dora.d+gift@example.org" {
		t.Errorf("donor after rollback: %q %v", email, err)
	}
}

// Without keys, a database holding data to seal is not migrated.
func TestSealingMigrationNeedsKeysWhenThereIsData(t *testing.T) {
	conn, provider := atVersion(t, 59, nil)
	exec(t, conn, `INSERT INTO enquiries (name, email, topic, message, reply_consent) VALUES ('Ann', 'ann@example.org', 'general', 'Hello', true)`)
	if _, err := provider.Up(context.Background()); err == nil || !strings.Contains(err.Error(), "HPA_ENCRYPTION_KEYS") {
		t.Fatalf("migrate up without keys: %v", err)
	}
}
