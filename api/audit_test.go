package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type auditPage struct {
	Items []struct {
		ActorType  string         `json:"actor_type"`
		ActorID    string         `json:"actor_id"`
		Action     string         `json:"action"`
		TargetType string         `json:"target_type"`
		TargetID   string         `json:"target_id"`
		RequestID  string         `json:"request_id"`
		Details    map[string]any `json:"details"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func TestAuditLogRecordsAccessChanges(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	adminEmail, adminPassword := srv.NewStaff(t, identity.RoleAdmin)
	admin := srv.Login(t, adminEmail, adminPassword).AccessToken
	post(srv, "/v1/auth/login", map[string]string{"email": adminEmail, "password": "wrong password!!"}, "")
	post(srv, "/v1/auth/login", map[string]string{"email": "ghost@example.org", "password": "wrong password!!"}, "")
	invite := post(srv, "/v1/staff", map[string]any{"email": "volunteer@example.org", "display_name": "Volunteer", "roles": []string{"analyst"}}, admin)
	var inv struct{ Staff struct{ ID string } }
	invite.JSON(t, &inv)
	srv.Do(apitest.Request{Method: http.MethodPatch, Path: "/v1/staff/" + inv.Staff.ID, Body: map[string]any{"roles": []string{"editor"}}, Token: admin})
	org := post(srv, "/v1/organisations", map[string]string{"name": "Audit Partner"}, admin)
	var o struct{ ID string }
	org.JSON(t, &o)
	key := post(srv, "/v1/api-keys", map[string]any{"organisation_id": o.ID, "name": "k", "scopes": []string{"stats:read"}}, admin)
	var k struct {
		APIKey keyBody `json:"api_key"`
	}
	key.JSON(t, &k)
	srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/api-keys/" + k.APIKey.ID, Token: admin})

	var page auditPage
	srv.Do(apitest.Request{Path: "/v1/audit-events?limit=200", Token: admin}).JSON(t, &page)
	actions := map[string]int{}
	for _, e := range page.Items {
		actions[e.Action]++
		if e.Action == "staff.update" && (e.RequestID == "" || e.ActorType != "staff" || e.TargetID != inv.Staff.ID) {
			t.Errorf("staff.update event: %+v", e)
		}
	}
	for _, want := range []string{"staff.create", "auth.login", "auth.login_failed", "staff.invite", "staff.update", "organisation.create", "api_key.create", "api_key.revoke"} {
		if actions[want] == 0 {
			t.Errorf("no %s event; have %v", want, actions)
		}
	}
	if actions["auth.login_failed"] != 2 {
		t.Errorf("failed logins recorded: %d", actions["auth.login_failed"])
	}
	// No personal data: the emails used appear nowhere in the log.
	var leaks int
	if err := srv.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events a WHERE a::text ILIKE '%example.org%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("audit rows containing an email: %d (%v)", leaks, err)
	}

	// Filtering by action prefix, and paging with the cursor.
	var auth auditPage
	srv.Do(apitest.Request{Path: "/v1/audit-events?action=auth&limit=1", Token: admin}).JSON(t, &auth)
	if len(auth.Items) != 1 || !strings.HasPrefix(auth.Items[0].Action, "auth.") || auth.NextCursor == "" {
		t.Fatalf("filtered page: %+v", auth)
	}
	seen := 1
	for cursor := auth.NextCursor; cursor != ""; seen++ {
		var next auditPage
		srv.Do(apitest.Request{Path: "/v1/audit-events?action=auth&limit=1&cursor=" + cursor, Token: admin}).JSON(t, &next)
		if len(next.Items) == 0 {
			break
		}
		cursor = next.NextCursor
	}
	if seen != actions["auth.login"]+actions["auth.login_failed"] {
		t.Errorf("paged through %d auth events, want %d", seen, actions["auth.login"]+actions["auth.login_failed"])
	}
	if r := srv.Do(apitest.Request{Path: "/v1/audit-events?cursor=not-a-cursor", Token: admin}); r.StatusCode != 422 {
		t.Errorf("bad cursor: %d", r.StatusCode)
	}

	// Append-only, even for the database owner.
	for _, stmt := range []string{`UPDATE audit_events SET action = 'x.y'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`} {
		if _, err := srv.Pool.Exec(context.Background(), stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", stmt, err)
		}
	}
}
