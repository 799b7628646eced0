package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type formToken struct {
	Token     string    `json:"form_token"`
	NotBefore time.Time `json:"not_before"`
}

func newFormToken(t *testing.T, srv *apitest.Server) formToken {
	t.Helper()
	var f formToken
	r := srv.Get("/v1/enquiries/form-token")
	if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("form token: %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	r.JSON(t, &f)
	return f
}

// readyFormToken is a token whose minimum fill time has passed.
func readyFormToken(t *testing.T, srv *apitest.Server) string {
	t.Helper()
	f := newFormToken(t, srv)
	apitest.Eventually(t, 5*time.Second, "the form's minimum fill time passes", func() bool { return time.Now().After(f.NotBefore) })
	return f.Token
}

func enquiry(token string, changes map[string]any) map[string]any {
	e := map[string]any{"name": "Sam Taylor", "email": "sam@example.org", "audience": "healthcare-professional", "topic": "work-with-us",
		"message": "I would like to help with a listening event.", "reply_consent": true, "form_token": token}
	for k, v := range changes {
		e[k] = v
	}
	return e
}

func submit(srv *apitest.Server, body any) *apitest.Response {
	return srv.Do(apitest.Request{Method: "POST", Path: "/v1/enquiries", Body: body})
}

func TestEnquiryReachesStaffWhoHandleIt(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_ENQUIRY_MIN_FILL_TIME": "300ms", "HPA_ENQUIRY_NOTIFY": "inbox@hpa.example"})
	if r := submit(srv, enquiry(readyFormToken(t, srv), nil)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
	}

	// Staff are told by email, without the sender's personal data.
	apitest.Eventually(t, 10*time.Second, "notification email", func() bool { return len(srv.Mail.To("inbox@hpa.example")) == 1 })
	mail := srv.Mail.To("inbox@hpa.example")[0]
	if !strings.Contains(mail.Subject, "work-with-us") || !strings.Contains(mail.Text, "Reference: ") {
		t.Errorf("email: %q\n%s", mail.Subject, mail.Text)
	}
	for _, personal := range []string{"Sam", "sam@example.org", "listening event"} {
		if strings.Contains(string(mail.Raw), personal) {
			t.Errorf("notification email contains %q", personal)
		}
	}

	// Staff with the right roles list, read, assign and handle it; every read is audited.
	membershipEmail, membershipPassword := srv.NewStaff(t, identity.RoleMembership)
	membership := srv.Login(t, membershipEmail, membershipPassword).AccessToken
	editor := srv.StaffToken(t, identity.RoleEditor)
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			Email   string `json:"email"`
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/enquiries?status=new", Token: editor}).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Email != "sam@example.org" || list.Items[0].Message != "" {
		t.Fatalf("list = %+v", list.Items)
	}
	id := list.Items[0].ID
	var me struct {
		ID string `json:"id"`
	}
	srv.Do(apitest.Request{Path: "/v1/auth/me", Token: membership}).JSON(t, &me)
	r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/enquiries/" + id, Token: editor, Body: map[string]any{"assigned_to": me.ID}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("assign: %d %s", r.StatusCode, r.Body)
	}
	var detail struct {
		Message    string `json:"message"`
		AssignedTo string `json:"assigned_to"`
		Status     string `json:"status"`
		HandledBy  string `json:"handled_by"`
	}
	srv.Do(apitest.Request{Path: "/v1/enquiries/" + id, Token: membership}).JSON(t, &detail)
	if detail.Message != "I would like to help with a listening event." || detail.AssignedTo != me.ID {
		t.Errorf("detail = %+v", detail)
	}
	srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/enquiries/" + id, Token: membership, Body: map[string]any{"status": "handled"}}).JSON(t, &detail)
	if detail.Status != "handled" || detail.HandledBy != me.ID {
		t.Errorf("after handling: %+v", detail)
	}
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	var treasurerID struct {
		ID string `json:"id"`
	}
	srv.Do(apitest.Request{Path: "/v1/auth/me", Token: treasurer}).JSON(t, &treasurerID)
	if r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/enquiries/" + id, Token: editor, Body: map[string]any{"assigned_to": treasurerID.ID}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("assigning to a treasurer: %d", r.StatusCode)
	}

	admin := srv.StaffToken(t, identity.RoleAdmin)
	var events struct {
		Items []struct {
			Action   string         `json:"action"`
			TargetID string         `json:"target_id"`
			Details  map[string]any `json:"details"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/audit-events?action=enquiry", Token: admin}).JSON(t, &events)
	seen := map[string]bool{}
	for _, e := range events.Items {
		seen[e.Action] = true
		for _, v := range e.Details {
			if s, _ := v.(string); strings.Contains(s, "sam@") || strings.Contains(s, "Sam") {
				t.Errorf("audit event %s holds personal data: %v", e.Action, e.Details)
			}
		}
	}
	for _, action := range []string{"enquiry.receive", "enquiry.list", "enquiry.read", "enquiry.update"} {
		if !seen[action] {
			t.Errorf("no %s in the audit log: %+v", action, events.Items)
		}
	}

	// Erasure on request: membership may, editors may not.
	if r := srv.Do(apitest.Request{Method: "DELETE", Path: "/v1/enquiries/" + id, Token: editor}); r.StatusCode != http.StatusForbidden {
		t.Errorf("editor erasing: %d", r.StatusCode)
	}
	if r := srv.Do(apitest.Request{Method: "DELETE", Path: "/v1/enquiries/" + id, Token: membership}); r.StatusCode != http.StatusNoContent {
		t.Errorf("erase: %d %s", r.StatusCode, r.Body)
	}
	if r := srv.Do(apitest.Request{Path: "/v1/enquiries/" + id, Token: membership}); r.StatusCode != http.StatusNotFound {
		t.Errorf("after erasure: %d", r.StatusCode)
	}
}

func countEnquiries(t *testing.T, srv *apitest.Server) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(context.Background(), "SELECT count(*) FROM enquiries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnquiryAntiAbuse(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_ENQUIRY_MIN_FILL_TIME": "300ms", "HPA_ENQUIRY_RATE_LIMIT": "1000"})

	// Sent at once: a bot. The token is not spent, so a person can resend.
	fast := newFormToken(t, srv)
	r := submit(srv, enquiry(fast.Token, nil))
	if r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != "form-sent-too-fast" || r.Header.Get("Retry-After") == "" {
		t.Errorf("too fast: %d %s (Retry-After %q)", r.StatusCode, r.Body, r.Header.Get("Retry-After"))
	}

	// The honeypot: accepted as far as the bot can tell, never stored.
	if r := submit(srv, enquiry(readyFormToken(t, srv), map[string]any{"website": "https://spam.example"})); r.StatusCode != http.StatusAccepted {
		t.Errorf("honeypot: %d %s", r.StatusCode, r.Body)
	}
	if n := countEnquiries(t, srv); n != 0 {
		t.Errorf("honeypot enquiry stored (%d)", n)
	}

	// A token works once; forged and garbled ones never.
	token := readyFormToken(t, srv)
	if r := submit(srv, enquiry(token, nil)); r.StatusCode != http.StatusAccepted {
		t.Fatalf("genuine: %d %s", r.StatusCode, r.Body)
	}
	forged := []byte(token)
	forged[len(forged)-3] ^= 1
	for name, c := range map[string]struct {
		token, code string
	}{
		"reused":  {token, "form-token-used"},
		"forged":  {string(forged), "form-token-invalid"},
		"garbled": {"not-a-token", "form-token-invalid"},
	} {
		if r := submit(srv, enquiry(c.token, nil)); r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Code != c.code {
			t.Errorf("%s token: %d %s", name, r.StatusCode, r.Body)
		}
	}

	// Validation, with nothing stored.
	ready := readyFormToken(t, srv)
	for name, changes := range map[string]map[string]any{
		"bad email":        {"email": "sam at example"},
		"unknown audience": {"audience": "aliens"},
		"unknown topic":    {"topic": "sales"},
		"empty message":    {"message": "   "},
		"long message":     {"message": strings.Repeat("x", 5001)},
		"control chars":    {"name": "Sam\x00"},
		"missing token":    {"form_token": ""},
	} {
		if r := submit(srv, enquiry(ready, changes)); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	if r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/enquiries", Body: `{"message":"` + strings.Repeat("x", 40000) + `"}`}); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize body: %d", r.StatusCode)
	}
	if n := countEnquiries(t, srv); n != 1 {
		t.Errorf("%d enquiries stored, want the one genuine one", n)
	}
}

func TestEnquiryBurstsFromOneAddressAreRefused(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_ENQUIRY_RATE_LIMIT": "3", "HPA_ENQUIRY_MIN_FILL_TIME": "0"})
	for i := range 3 {
		if r := submit(srv, enquiry(newFormToken(t, srv).Token, nil)); r.StatusCode != http.StatusAccepted {
			t.Fatalf("enquiry %d: %d %s", i, r.StatusCode, r.Body)
		}
	}
	r := submit(srv, enquiry(newFormToken(t, srv).Token, nil))
	if r.StatusCode != http.StatusTooManyRequests || r.Problem(t).Code != "rate-limited" || r.Header.Get("Retry-After") == "" {
		t.Errorf("fourth enquiry: %d %s", r.StatusCode, r.Body)
	}
	if n := countEnquiries(t, srv); n != 3 {
		t.Errorf("%d enquiries stored, want 3", n)
	}
}

// The hourly retention job deletes enquiries older than
// HPA_ENQUIRY_RETENTION, handled or not, and keeps the rest.
func TestOldEnquiriesArePurged(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_ENQUIRY_RETENTION": "720h", "HPA_ENQUIRY_MIN_FILL_TIME": "0"})
	for range 2 {
		if r := submit(srv, enquiry(newFormToken(t, srv).Token, nil)); r.StatusCode != http.StatusAccepted {
			t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
		}
	}
	ctx := context.Background()
	var oldID string
	if err := srv.Pool.QueryRow(ctx, `UPDATE enquiries SET created_at = now() - interval '31 days', status = 'handled'
		WHERE id = (SELECT id FROM enquiries LIMIT 1) RETURNING id`).Scan(&oldID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Jobs().Insert(ctx, retentionArgs(), nil); err != nil {
		t.Fatal(err)
	}
	apitest.Eventually(t, 10*time.Second, "the retention job deletes the old enquiry", func() bool { return countEnquiries(t, srv) == 1 })
	var remaining string
	if err := srv.Pool.QueryRow(ctx, "SELECT id FROM enquiries").Scan(&remaining); err != nil || remaining == oldID {
		t.Errorf("the recent enquiry must stay (%v)", err)
	}
	var purged int
	if err := srv.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = 'enquiry.purge' AND actor_type = 'system'").Scan(&purged); err != nil || purged != 1 {
		t.Errorf("purge audited %d times (%v), want once", purged, err)
	}
}

func TestEnquiryIsSealedAtRest(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_ENQUIRY_MIN_FILL_TIME": "300ms"})
	sent := enquiry(readyFormToken(t, srv), map[string]any{"name": "Ngozi Okafor-Quist", "email": "Ngozi.Q+hpa@example.org",
		"message": "St Elsewhere hospital harmed my daughter during her birth."})
	if r := submit(srv, sent); r.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.StatusCode, r.Body)
	}
	dump := srv.Dump(t)
	for _, personal := range []string{"Ngozi", "ngozi", "St Elsewhere", "harmed my daughter"} {
		if strings.Contains(dump, personal) {
			t.Errorf("the database holds %q in clear", personal)
		}
	}
	// Staff still read it as sent.
	var list struct {
		Items []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"items"`
	}
	membership := srv.StaffToken(t, identity.RoleMembership)
	srv.Do(apitest.Request{Path: "/v1/enquiries", Token: membership}).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Name != sent["name"] || list.Items[0].Email != sent["email"] {
		t.Fatalf("list: %+v", list.Items)
	}
	var detail struct {
		Message string `json:"message"`
	}
	srv.Do(apitest.Request{Path: "/v1/enquiries/" + list.Items[0].ID, Token: membership}).JSON(t, &detail)
	if detail.Message != sent["message"] {
		t.Errorf("message: %q", detail.Message)
	}
}
