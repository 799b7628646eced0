package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/engagement"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

// joinWith signs a member up with interests and confirms them.
func joinWith(t *testing.T, srv *apitest.Server, email string, interests ...string) string {
	t.Helper()
	body := apitest.SignupBody(email)
	body["interests"] = interests
	if r := post(srv, "/v1/members", body, ""); r.StatusCode != 202 {
		t.Fatalf("signup %s: %d", email, r.StatusCode)
	}
	msg := srv.Mail.WaitFor(t, email, 10*time.Second, nil)
	var out struct {
		MemberToken string `json:"member_token"`
	}
	post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, msg)}, "").JSON(t, &out)
	return out.MemberToken
}

type opportunityBody struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func study(capacity int) map[string]any {
	return map[string]any{
		"kind": "research-study", "title": "Living with harm after surgery", "summary": "Researchers would like to hear from people harmed after surgery.",
		"description": "## What it involves\n\nA 45-minute conversation.<script>alert(1)</script>", "organiser_name": "Example University",
		"online": true, "capacity": capacity, "ethics_reference": "REC 26/LO/0001",
		"starts_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "closes_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
	}
}

// The story from the issue: a partner submits a study, staff approve and
// publish it, matching consenting members (and only they) get one alert
// each, members fill the places, the next waits, one cancels, the waiting
// member is promoted and told.
func TestOpportunityFromSubmissionToPromotion(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeOpportunitiesWrite, identity.ScopeWebhooksManage)
	addEndpoint(t, srv, key, "https://hooks.partner.example/hpa", "outcome.published")
	editor := srv.StaffToken(t, identity.RoleEditor)

	alice := joinWith(t, srv, "alice@example.org", "research-opportunities")
	bob := joinWith(t, srv, "bob@example.org", "research-opportunities", "surveys")
	joinWith(t, srv, "carol@example.org", "surveys") // wrong interest
	dan := joinWith(t, srv, "dan@example.org", "research-opportunities")
	srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: dan, Body: map[string]any{"interests": []string{}}}) // withdrew
	post(srv, "/v1/members", apitest.SignupBody("erin@example.org"), "")                                                         // never confirmed

	// Missing ethics reference: refused precisely.
	bad := study(2)
	delete(bad, "ethics_reference")
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/opportunities", Body: bad, APIKey: key})
	if p := r.Problem(t); r.StatusCode != 422 || !strings.Contains(string(r.Body), "body.ethics_reference") {
		t.Fatalf("study without ethics reference: %d %+v", r.StatusCode, p)
	}
	var opp opportunityBody
	r = srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/opportunities", Body: study(2), APIKey: key})
	r.JSON(t, &opp)
	if r.StatusCode != 201 || opp.Status != "submitted" {
		t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
	}
	if strings.Contains(string(r.Body), "<script>") && !strings.Contains(string(r.Body), `"description":"## What`) {
		t.Errorf("rendered description kept a script: %s", r.Body)
	}
	// Not public until published.
	if r := srv.Get("/v1/opportunities/" + opp.ID); r.StatusCode != 404 {
		t.Errorf("unpublished opportunity visible: %d", r.StatusCode)
	}
	review := func(action string) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": action}})
	}
	if r := review("publish"); r.StatusCode != 409 {
		t.Errorf("publishing before approval: %d", r.StatusCode)
	}
	if r := review("approve"); r.StatusCode != 200 {
		t.Fatalf("approve: %d %s", r.StatusCode, r.Body)
	}
	if r := review("publish"); r.StatusCode != 200 {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
	}

	alertFor := func(m mailtest.Message) bool { return strings.Contains(m.Subject, "give your voice") }
	for _, who := range []string{"alice@example.org", "bob@example.org"} {
		msg := srv.Mail.WaitFor(t, who, 10*time.Second, alertFor)
		if msg.Header.Get("List-Unsubscribe") == "" || !strings.Contains(msg.Text, "Living with harm after surgery") {
			t.Errorf("alert to %s: %q %v", who, msg.Subject, msg.Header)
		}
	}
	editorial := func() engagementProgress {
		var p engagementProgress
		srv.Do(apitest.Request{Path: "/v1/opportunities/" + opp.ID + "/alerts", Token: editor}).JSON(t, &p)
		return p
	}
	apitest.Eventually(t, 10*time.Second, "both alerts marked sent", func() bool { return editorial().Sent == 2 })
	// A second fan-out (as after a restart mid-send) alerts nobody again.
	if _, err := srv.App.Jobs().Insert(context.Background(), engagement.FanoutArgs{OpportunityID: uuidOf(t, opp.ID)}, nil); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "the re-run fan-out finished", func() bool {
		var n int
		_ = srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'engagement.alert_fanout' AND state = 'completed'`).Scan(&n)
		return n == 2
	})
	for _, who := range []string{"alice@example.org", "bob@example.org", "carol@example.org", "dan@example.org", "erin@example.org"} {
		n := 0
		for _, m := range srv.Mail.To(who) {
			if alertFor(m) {
				n++
			}
		}
		want := map[string]int{"alice@example.org": 1, "bob@example.org": 1}[who]
		if n != want {
			t.Errorf("%s got %d alerts, want %d", who, n, want)
		}
	}
	if p := editorial(); p.Matched != 2 || p.Sent != 2 {
		t.Errorf("progress: %+v", p)
	}

	// Registration: two places, then a waiting list; a cancellation promotes.
	register := func(token string, body map[string]any) *apitest.Response {
		return srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/registrations", Token: token, Body: body})
	}
	var reg struct {
		Status   string `json:"status"`
		Position int    `json:"waitlist_position"`
	}
	register(alice, map[string]any{"share_with_organiser": true}).JSON(t, &reg)
	if reg.Status != "confirmed" {
		t.Fatalf("alice: %+v", reg)
	}
	if r := register(alice, map[string]any{}); r.StatusCode != 409 || r.Problem(t).Code != "already-registered" {
		t.Errorf("registering twice: %d", r.StatusCode)
	}
	register(bob, map[string]any{}).JSON(t, &reg)
	if reg.Status != "confirmed" {
		t.Fatalf("bob: %+v", reg)
	}
	register("", map[string]any{"name": "Frank", "email": "frank@example.org", "accessibility_needs": "BSL interpreter", "accessibility_consent": true}).JSON(t, &reg)
	if reg.Status != "waitlisted" || reg.Position != 1 {
		t.Fatalf("frank: %+v", reg)
	}
	confirmation := srv.Mail.WaitFor(t, "alice@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.HasPrefix(m.Subject, "Your place") })
	ics := confirmation.Attachments["event.ics"]
	if !strings.Contains(string(ics), "BEGIN:VEVENT") || !strings.Contains(string(ics), "\r\n") {
		t.Errorf("confirmation lacks a calendar invitation: %q", ics)
	}
	// Bob cancels from his email; Frank is promoted and told.
	bobMail := srv.Mail.WaitFor(t, "bob@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.HasPrefix(m.Subject, "Your place") })
	cancel := strings.TrimPrefix(bobMail.Text[strings.Index(bobMail.Text, "cancel?token="):], "cancel?token=")
	cancel = strings.Fields(cancel)[0]
	for i := 0; i < 2; i++ {
		if r := post(srv, "/v1/registrations/cancel", map[string]string{"token": cancel}, ""); r.StatusCode != 204 {
			t.Fatalf("cancel %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	srv.Mail.WaitFor(t, "frank@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.HasPrefix(m.Subject, "A place has come up") })

	// The partner sees only who agreed to share; never access needs.
	var partnerList struct {
		Items []struct {
			Email              string `json:"email"`
			AccessibilityNeeds string `json:"accessibility_needs"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/partner/opportunities/" + opp.ID + "/registrations", APIKey: key}).JSON(t, &partnerList)
	if len(partnerList.Items) != 1 || partnerList.Items[0].Email != "alice@example.org" {
		t.Errorf("partner attendee list: %+v", partnerList)
	}
	// Another organisation's key cannot see it at all.
	otherKey, _ := srv.NewAPIKey(t, identity.ScopeOpportunitiesWrite)
	if r := srv.Do(apitest.Request{Path: "/v1/partner/opportunities/" + opp.ID, APIKey: otherKey}); r.StatusCode != 404 {
		t.Errorf("another partner reading it: %d", r.StatusCode)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodPut, Path: "/v1/partner/opportunities/" + opp.ID, APIKey: otherKey, Body: study(5)}); r.StatusCode != 404 {
		t.Errorf("another partner editing it: %d", r.StatusCode)
	}
	// Access needs: the membership role sees them, an editor does not.
	var staffList struct {
		Items []struct {
			Email              string `json:"email"`
			AccessibilityNeeds string `json:"accessibility_needs"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/opportunities/" + opp.ID + "/registrations", Token: editor}).JSON(t, &staffList)
	for _, a := range staffList.Items {
		if a.AccessibilityNeeds != "" {
			t.Errorf("editor saw access needs")
		}
	}
	srv.Do(apitest.Request{Path: "/v1/opportunities/" + opp.ID + "/registrations", Token: srv.StaffToken(t, identity.RoleMembership)}).JSON(t, &staffList)
	found := false
	for _, a := range staffList.Items {
		found = found || a.AccessibilityNeeds == "BSL interpreter"
	}
	if !found {
		t.Errorf("membership role did not see access needs: %+v", staffList)
	}

	// Outcome: reported by the organiser, published by HPA, seen by a participant.
	var oc struct {
		ID int64 `json:"id"`
	}
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/opportunities/" + opp.ID + "/outcomes", APIKey: key,
		Body: map[string]string{"summary": "People told us compassion mattered most.", "link": "https://research.example.org/paper"}}).JSON(t, &oc)
	// Publishing twice (a double click) tells the organiser once.
	for range 2 {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: fmt.Sprintf("/v1/opportunities/%s/outcomes/%d/publish", opp.ID, oc.ID), Token: editor}); r.StatusCode != http.StatusOK {
			t.Fatalf("publish outcome: %d %s", r.StatusCode, r.Body)
		}
	}
	if n := countRows(t, srv, `SELECT count(*) FROM webhook_events WHERE type = 'outcome.published'`); n != 1 {
		t.Errorf("%d outcome.published events for one outcome, want 1", n)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = 'opportunity.outcome_publish'`); n != 1 {
		t.Errorf("%d publications audited for one outcome, want 1", n)
	}
	var mine struct {
		Items []struct {
			Title    string `json:"title"`
			Outcomes []struct {
				Summary string `json:"summary"`
			} `json:"outcomes"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/me/opportunities", Token: alice}).JSON(t, &mine)
	if len(mine.Items) != 1 || len(mine.Items[0].Outcomes) != 1 {
		t.Errorf("member's opportunities: %+v", mine)
	}
}

type engagementProgress struct {
	State   string `json:"state"`
	Matched int    `json:"matched"`
	Sent    int    `json:"sent"`
}

// 100 people try for 10 places at once: exactly 10 get them.
func TestParallelRegistrationsNeverOverbook(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	editor := srv.StaffToken(t, identity.RoleEditor)
	event := map[string]any{"kind": "webinar", "title": "Restorative practice webinar", "summary": "An hour on restorative practice.", "organiser_name": "HPA",
		"online": true, "capacity": 10, "starts_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}
	var opp opportunityBody
	post(srv, "/v1/opportunities", event, editor).JSON(t, &opp)
	for _, a := range []string{"publish"} {
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": a}}); r.StatusCode != 200 {
			t.Fatalf("%s: %d %s", a, r.StatusCode, r.Body)
		}
	}
	var wg sync.WaitGroup
	statuses := make(chan string, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var reg struct {
				Status string `json:"status"`
			}
			r := post(srv, "/v1/opportunities/"+opp.ID+"/registrations", map[string]any{"name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@example.org", i)}, "")
			if r.StatusCode != 201 {
				t.Errorf("registration %d: %d %s", i, r.StatusCode, r.Body)
				return
			}
			r.JSON(t, &reg)
			statuses <- reg.Status
		}(i)
	}
	wg.Wait()
	close(statuses)
	count := map[string]int{}
	for s := range statuses {
		count[s]++
	}
	if count["confirmed"] != 10 || count["waitlisted"] != 90 {
		t.Errorf("statuses: %v, want 10 confirmed and 90 wait-listed", count)
	}
	var confirmed int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM registrations WHERE status = 'confirmed'`).Scan(&confirmed); err != nil || confirmed != 10 {
		t.Errorf("confirmed in the database: %d", confirmed)
	}
}

func TestOpportunityValidation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	editor := srv.StaffToken(t, identity.RoleEditor)
	base := func(change func(map[string]any)) map[string]any {
		b := map[string]any{"kind": "webinar", "title": "T", "summary": "S", "organiser_name": "HPA", "online": true,
			"starts_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}
		change(b)
		return b
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for name, c := range map[string]struct {
		body  map[string]any
		field string
	}{
		"closing in the past":  {base(func(b map[string]any) { b["closes_at"] = past }), "body.closes_at"},
		"starting in the past": {base(func(b map[string]any) { b["starts_at"] = past }), "body.starts_at"},
		"end before start":     {base(func(b map[string]any) { b["ends_at"] = time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339) }), "body.ends_at"},
		"capacity zero":        {base(func(b map[string]any) { b["capacity"] = 0 }), "body.capacity"},
		"capacity negative":    {base(func(b map[string]any) { b["capacity"] = -5 }), "body.capacity"},
		"webinar without date": {base(func(b map[string]any) { delete(b, "starts_at") }), "body.starts_at"},
		"study without ethics": {base(func(b map[string]any) { b["kind"] = "research-study" }), "body.ethics_reference"},
	} {
		r := post(srv, "/v1/opportunities", c.body, editor)
		if r.StatusCode != 422 || !strings.Contains(string(r.Body), c.field) {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
}

func uuidOf(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// At most one alert a week: a second opportunity within the week goes to
// the member's digest instead; members who chose a digest get no alerts.
func TestAlertsAreCappedAndDigested(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	editor := srv.StaffToken(t, identity.RoleEditor)
	joinWith(t, srv, "eager@example.org", "surveys")
	weekly := joinWith(t, srv, "weekly@example.org", "surveys")
	srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: weekly, Body: map[string]any{"email_frequency": "weekly-digest"}})
	publish := func(title string) string {
		var opp opportunityBody
		post(srv, "/v1/opportunities", map[string]any{"kind": "survey", "title": title, "summary": "A short survey.", "organiser_name": "HPA",
			"external_url": "https://survey.example.org/s"}, editor).JSON(t, &opp)
		if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}}); r.StatusCode != 200 {
			t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
		}
		return opp.ID
	}
	progress := func(id string) map[string]int {
		var p map[string]any
		srv.Do(apitest.Request{Path: "/v1/opportunities/" + id + "/alerts", Token: editor}).JSON(t, &p)
		out := map[string]int{}
		for k, v := range p {
			if f, ok := v.(float64); ok {
				out[k] = int(f)
			}
		}
		return out
	}
	first := publish("First survey")
	apitest.Eventually(t, 10*time.Second, "first alert sent", func() bool { p := progress(first); return p["sent"] == 1 && p["in_digest"] == 1 })
	second := publish("Second survey")
	apitest.Eventually(t, 10*time.Second, "second alert held for digests", func() bool { p := progress(second); return p["matched"] == 2 && p["in_digest"] == 2 })
	if n := len(srv.Mail.To("weekly@example.org")); n != 1 { // the confirmation only
		t.Errorf("weekly-digest member got %d emails", n)
	}
}

func TestRegistrationAfterClosingIsRefused(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	editor := srv.StaffToken(t, identity.RoleEditor)
	var opp opportunityBody
	post(srv, "/v1/opportunities", map[string]any{"kind": "listening-event", "title": "Listening event", "summary": "Come and be heard.",
		"organiser_name": "HPA", "location": "Cardiff", "starts_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
		"closes_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, editor).JSON(t, &opp)
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}})
	if _, err := srv.Pool.Exec(context.Background(), `UPDATE opportunities SET closes_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	r := post(srv, "/v1/opportunities/"+opp.ID+"/registrations", map[string]any{"name": "Late", "email": "late@example.org"}, "")
	if p := r.Problem(t); r.StatusCode != 409 || p.Code != "registration-closed" {
		t.Errorf("late registration: %d %+v", r.StatusCode, p)
	}
	survey := map[string]any{"kind": "survey", "title": "A survey", "summary": "Tell us.", "organiser_name": "HPA", "external_url": "https://s.example.org"}
	var s opportunityBody
	post(srv, "/v1/opportunities", survey, editor).JSON(t, &s)
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + s.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}})
	if r := post(srv, "/v1/opportunities/"+s.ID+"/registrations", map[string]any{"name": "X", "email": "x@example.org"}, ""); r.StatusCode != 409 {
		t.Errorf("registering for a survey: %d", r.StatusCode)
	}
}

// A partner saving its opportunity after HPA asked for changes keeps the
// HPA contact staff chose: partners never see or set that field.
func TestPartnerEditKeepsTheHPAContact(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	key, _ := srv.NewAPIKey(t, identity.ScopeOpportunitiesWrite)
	email, password := srv.NewStaff(t, identity.RoleMembership)
	var contact struct {
		ID string `json:"id"`
	}
	srv.Do(apitest.Request{Path: "/v1/auth/me", Token: srv.Login(t, email, password).AccessToken}).JSON(t, &contact)
	editor := srv.StaffToken(t, identity.RoleEditor)

	var opp opportunityBody
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/opportunities", Body: study(3), APIKey: key}).JSON(t, &opp)
	withContact := study(3)
	withContact["hpa_contact_id"] = contact.ID
	if r := srv.Do(apitest.Request{Method: http.MethodPut, Path: "/v1/opportunities/" + opp.ID, Token: editor, Body: withContact}); r.StatusCode != http.StatusOK {
		t.Fatalf("editor sets the contact: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/opportunities/"+opp.ID+"/review", map[string]string{"action": "request-changes", "note": "Say how long it takes."}, editor); r.StatusCode != http.StatusOK {
		t.Fatalf("request changes: %d %s", r.StatusCode, r.Body)
	}
	changed := study(3)
	changed["summary"] = "A 45-minute conversation with researchers about living with harm after surgery."
	if r := srv.Do(apitest.Request{Method: http.MethodPut, Path: "/v1/partner/opportunities/" + opp.ID, APIKey: key, Body: changed}); r.StatusCode != http.StatusOK {
		t.Fatalf("partner saves: %d %s", r.StatusCode, r.Body)
	}
	var kept string
	if err := srv.Pool.QueryRow(context.Background(), `SELECT coalesce(hpa_contact_id::text, '') FROM opportunities WHERE id = $1`, opp.ID).Scan(&kept); err != nil || kept != contact.ID {
		t.Fatalf("HPA contact after the partner's edit: %q %v, want %s", kept, err, contact.ID)
	}
}
