package api_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	"github.com/harmedpatients/hpa/internal/members"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/harmedpatients/hpa/internal/sealed"
)

func newHashKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Rotating HPA_HASH_KEY: `hpa keys rehash` moves every stored email hash to
// the new key in one transaction, so the people found by address before
// are found after; what cannot be re-keyed (an erased member's tombstone)
// and links in emails already sent work through the retired key.
func TestHashKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.URL(t)
	oldKey, newKey := newHashKey(t), newHashKey(t)
	before := apitest.StartOn(t, db, map[string]string{"HPA_HASH_KEY": oldKey})

	const email, erased, guest = "rotation.member@example.org", "rotation.erased@example.org", "rotation.guest@example.org"
	before.MemberToken(t, email)
	confirm := before.Mail.WaitFor(t, email, 10*time.Second, nil)
	unsubscribe, err := url.Parse(strings.Trim(confirm.Header.Get("List-Unsubscribe"), "<>"))
	if err != nil {
		t.Fatal(err)
	}
	if r := before.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: before.MemberToken(t, erased)}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}
	event := publishedEvent(t, before, 5)
	register := func(srv *apitest.Server) {
		t.Helper()
		r := post(srv, "/v1/opportunities/"+event+"/registrations", map[string]any{"name": "Guest", "email": guest}, "")
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("register: %d %s", r.StatusCode, r.Body)
		}
	}
	register(before)
	before.Stop() // the rotation stops every instance: one on the old key would answer by old hashes

	after := apitest.StartOn(t, db, map[string]string{"HPA_HASH_KEY": newKey, "HPA_HASH_KEYS_RETIRED": oldKey})
	newHasher, err := sealed.NewHasher(mustDecode(t, newKey))
	if err != nil {
		t.Fatal(err)
	}
	membersUnderNewKey := func() int {
		var n int
		if err := after.Pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE email_hash = $1`, newHasher.Email(email)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := membersUnderNewKey(); n != 0 {
		t.Fatalf("before the rehash, %d members under the new key", n)
	}

	report, err := app.RehashEmails(ctx, after.Config, after.Pool)
	if err != nil || report.Members != 1 || report.Registrations != 1 {
		t.Fatalf("rehash: %+v %v", report, err)
	}
	if n := membersUnderNewKey(); n != 1 {
		t.Fatalf("after the rehash, %d members under the new key", n)
	}

	// Found by address under the new key: a sign-in link reaches the
	// member, and the guest's second registration is the same booking.
	post(after, "/v1/members/sign-in-link", map[string]string{"email": email}, "")
	after.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "sign-in") })
	register(after)
	var bookings int
	if err := after.Pool.QueryRow(ctx, `SELECT count(*) FROM registrations WHERE opportunity_id = $1 AND status <> 'cancelled'`, event).Scan(&bookings); err != nil || bookings != 1 {
		t.Errorf("registrations after registering again: %d %v", bookings, err)
	}

	// The tombstone is found under the retired key: staff cannot add the
	// erased address back.
	var imported struct {
		Imported   int   `json:"imported"`
		Duplicates []any `json:"duplicates"`
	}
	after.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/import", Token: after.StaffToken(t, identity.RoleMembership),
		Body: "email,name,consent_version\n" + erased + ",Imported," + members.MembershipConsent.Version + "\n", Header: http.Header{"Content-Type": {"text/csv"}}}).JSON(t, &imported)
	if imported.Imported != 0 || len(imported.Duplicates) != 1 {
		t.Errorf("importing an erased address after the rotation: %+v", imported)
	}

	// A link in an email sent before the rotation still works.
	if r := after.Do(apitest.Request{Method: http.MethodPost, Path: unsubscribe.RequestURI(), Body: "List-Unsubscribe=One-Click",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}); r.StatusCode != http.StatusOK {
		t.Errorf("unsubscribe link from before the rotation: %d %s", r.StatusCode, r.Body)
	}

	// A second run changes nothing; a run whose retired key is not the one
	// the hashes were made with stops and changes nothing.
	if again, err := app.RehashEmails(ctx, after.Config, after.Pool); err != nil || again != (app.RehashReport{}) {
		t.Errorf("second rehash: %+v %v", again, err)
	}
	wrong := *after.Config
	wrong.HashKey, wrong.RetiredHashKeys = config.Secret(mustDecode(t, newHashKey(t))), []config.Secret{config.Secret(mustDecode(t, newHashKey(t)))}
	if _, err := app.RehashEmails(ctx, &wrong, after.Pool); !errors.Is(err, sealed.ErrHashMismatch) {
		t.Errorf("rehash with the wrong retired key: %v", err)
	}
	if n := membersUnderNewKey(); n != 1 {
		t.Errorf("a failed rehash changed the hashes: %d members under the key", n)
	}
}

func mustDecode(t *testing.T, key string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
