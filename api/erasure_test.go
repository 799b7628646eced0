package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

// A person who has done everything the service offers asks to be
// forgotten: afterwards a dump of the whole database holds nothing of
// theirs in clear, and no sealed value the service could open is theirs,
// except the Gift Aid declaration HMRC requires HPA to keep, which their
// former token cannot read.
func TestErasureLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, map[string]string{"HPA_ENQUIRY_MIN_FILL_TIME": "300ms", "HPA_ENQUIRY_NOTIFY": "inbox@hpa.example"})
	const (
		email      = "Zebedee.Quartermain+hpa@Example.org"
		name       = "Zebedee Quartermain-Ostrowski"
		experience = "Xanthoptera ward delayed my diagnosis for nine months."
		access     = "Plughwheel step-free access and a quiet room."
		message    = "Frobozzian hospital harmed my mother; can you help?"
	)
	personal := []string{"zebedee", "quartermain", "ostrowski", "xanthoptera", "plughwheel", "frobozzian"}

	// Joins, with special-category answers, and confirms.
	body := apitest.SignupBody(email)
	body["name"] = name
	body["special_category_consent"] = true
	body["special_category"] = map[string]string{"harmed": "yes", "experience": experience, "accessibility_needs": access}
	body["interests"] = []string{"research-opportunities", "surveys"}
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	var session struct {
		MemberToken string `json:"member_token"`
	}
	confirm := srv.Mail.WaitFor(t, email, 10*time.Second, nil)
	post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, confirm)}, "").JSON(t, &session)
	member := session.MemberToken
	if member == "" {
		t.Fatal("no member token")
	}
	// Asks for a sign-in link, and changes their preferences.
	if r := post(srv, "/v1/members/sign-in-link", map[string]string{"email": email}, ""); r.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-in link: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: member, Body: map[string]any{"region": "wales"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", r.StatusCode, r.Body)
	}
	// Staff write a note about them.
	membership := srv.StaffToken(t, identity.RoleMembership)
	var me struct {
		Profile struct {
			ID string `json:"id"`
		} `json:"profile"`
	}
	srv.Do(apitest.Request{Path: "/v1/me", Token: member}).JSON(t, &me)
	if r := post(srv, "/v1/members/"+me.Profile.ID+"/notes", map[string]string{"body": "Called Zebedee about the Xanthoptera ward."}, membership); r.StatusCode != http.StatusCreated {
		t.Fatalf("note: %d %s", r.StatusCode, r.Body)
	}

	// Registers for a study with access needs (and is alerted to it).
	editor := srv.StaffToken(t, identity.RoleEditor)
	key, _ := srv.NewAPIKey(t, identity.ScopeOpportunitiesWrite)
	var opp opportunityBody
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/opportunities", Body: study(5), APIKey: key}).JSON(t, &opp)
	for _, action := range []string{"approve", "publish"} {
		if r := post(srv, "/v1/opportunities/"+opp.ID+"/review", map[string]string{"action": action}, editor); r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", action, r.StatusCode, r.Body)
		}
	}
	srv.Mail.WaitFor(t, email, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "give your voice") })
	if r := post(srv, "/v1/opportunities/"+opp.ID+"/registrations", map[string]any{"accessibility_needs": access, "accessibility_consent": true,
		"share_with_organiser": true}, member); r.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	// Writes to HPA through the form.
	if r := submit(srv, enquiry(readyFormToken(t, srv), map[string]any{"name": name, "email": email, "message": message})); r.StatusCode != http.StatusAccepted {
		t.Fatalf("enquiry: %d %s", r.StatusCode, r.Body)
	}
	// Gives with Gift Aid, and asks for a statement.
	memberGives(t, srv, member, map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general",
		"gift_aid": giftAid("Zebedee", "Quartermain-Ostrowski", "this_and_future")}, email, name, "zq1")
	if r := post(srv, "/v1/me/donations/statements", map[string]any{"year": time.Now().Year()}, member); r.StatusCode != http.StatusAccepted {
		t.Fatalf("statement: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 15*time.Second, "every email sent", func() bool {
		return countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind IN ('mail.send', 'mail.compose') AND state NOT IN ('completed', 'discarded', 'cancelled')`) == 0
	})
	if got := len(srv.Mail.To(strings.ToLower(email))) + len(srv.Mail.To(email)); got < 5 {
		t.Fatalf("%d emails to the member, want confirmation, sign-in link, alert, registration, receipt and statement", got)
	}

	// Erasure.
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: member}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("erase: %d %s", r.StatusCode, r.Body)
	}

	dump := strings.ToLower(srv.Dump(t))
	for _, s := range append(personal, strings.ToLower(email), "zebedee.quartermain@example.org") {
		if i := strings.Index(dump, s); i >= 0 {
			t.Errorf("the database still holds %q in clear: …%s…", s, dump[max(0, i-200):min(len(dump), i+100)])
		}
	}
	// Sealed values the service can still open: only the Gift Aid declaration.
	for _, v := range srv.OpenSealed(t) {
		lower := strings.ToLower(v.Plaintext)
		for _, s := range personal {
			if strings.Contains(lower, s) && v.Table != "gift_aid_declarations" {
				t.Errorf("%s.%s %s still opens to %q", v.Table, v.Column, v.ID, v.Plaintext)
				break
			}
		}
	}
	if n := countRows(t, srv, `SELECT count(*) FROM gift_aid_declarations`); n != 1 {
		t.Errorf("%d Gift Aid declarations kept, want the one HMRC requires", n)
	}
	// The former token reads nothing, the kept declaration included.
	for _, path := range []string{"/v1/me", "/v1/me/donations", "/v1/me/gift-aid-declarations", "/v1/me/export", "/v1/me/opportunities"} {
		if r := srv.Do(apitest.Request{Path: path, Token: member}); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("former token on %s: %d", path, r.StatusCode)
		}
	}
	var erased int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM members WHERE status = 'erased'`).Scan(&erased); err != nil || erased != 1 {
		t.Errorf("tombstones: %d %v", erased, err)
	}
	// Their email never goes out again, even from jobs queued before.
	sent := len(srv.Mail.To(strings.ToLower(email))) + len(srv.Mail.To(email))
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/sign-in-link", Body: map[string]string{"email": email}}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-in link after erasure: %d", r.StatusCode)
	}
	apitest.Eventually(t, 10*time.Second, "every email sent", func() bool {
		return countRows(t, srv, `SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable')
			AND kind IN ('mail.send', 'mail.compose', 'members.sign_in_link', 'engagement.registration_notice')`) == 0
	})
	if now := len(srv.Mail.To(strings.ToLower(email))) + len(srv.Mail.To(email)); now != sent {
		t.Errorf("%d more emails after erasure", now-sent)
	}
}

// Every sealed column is known to the code that reaches all personal data.
func TestEverySealedColumnIsListed(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	rows, err := srv.Pool.Query(context.Background(), `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type = 'bytea' AND column_name LIKE '%\_sealed'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	listed := map[string]bool{}
	for _, c := range apitest.SealedColumns() {
		listed[c] = true
	}
	for rows.Next() {
		var column string
		if err := rows.Scan(&column); err != nil {
			t.Fatal(err)
		}
		if !listed[column] {
			t.Errorf("sealed column %s is not in database.SealedColumns", column)
		}
	}
}

// A sign-in link asked for while the member erases their data is either
// sent before the erasure (and its email erased with the rest) or not at
// all: no email to an erased person is left in the outbox afterwards.
func TestErasureRacingASignInLinkLeavesNoEmail(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, unlimited)
	for i := range 12 {
		email := fmt.Sprintf("racer%d@example.org", i)
		token := srv.MemberToken(t, email)
		waitForMemberWork(t, srv)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 5 {
				srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members/sign-in-link", Body: map[string]string{"email": email}})
			}
		}()
		go func() {
			defer wg.Done()
			srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: token})
		}()
		wg.Wait()
	}
	waitForMemberWork(t, srv)
	// Emails being sent at the moment of an erasure go a few minutes later,
	// with the erasure's follow-up: run it now.
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE river_job SET scheduled_at = now() WHERE kind = 'mail.forget'`); err != nil {
		t.Fatal(err)
	}
	srv.WaitForJobs(t, "mail.forget")
	if n := countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind = 'mail.compose' AND args->>'template' = 'member-magic-link'`); n != 0 {
		t.Fatalf("%d sign-in emails to erased members left in the outbox", n)
	}
	// Nor was a link made for anyone once erased: it would have left a token.
	if n := countRows(t, srv, `SELECT count(*) FROM member_tokens k JOIN members m ON m.id = k.member_id WHERE m.status = 'erased'`); n != 0 {
		t.Fatalf("%d sign-in tokens made for erased members", n)
	}
}
