package api_test

import (
	"context"
	"encoding/base64"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// accessMatrix is the whole access policy, written out once more by hand:
// every operation in the contract must appear here, and the server must
// behave as written for every kind of caller. A policy is "public", or
// alternatives joined by "|": "staff:any", "staff:ROLE,ROLE" (admin is
// always admitted), "key:SCOPE,SCOPE", "member" (a member's own token).
var accessMatrix = map[string]string{
	"get-health":          "public",
	"get-readiness":       "public",
	"get-site":            "public",
	"login":               "public",
	"refresh-session":     "public",
	"logout":              "public",
	"accept-invitation":   "public",
	"get-me":              "staff:any",
	"change-password":     "staff:any",
	"get-current-api-key": "key:members:signup,opportunities:write,stats:read,content:read,webhooks:manage",
	"list-staff":          "staff:admin",
	"invite-staff":        "staff:admin",
	"get-staff":           "staff:admin",
	"update-staff":        "staff:admin",
	"list-organisations":  "staff:admin",
	"create-organisation": "staff:admin",
	"get-organisation":    "staff:admin",
	"list-api-keys":       "staff:admin",
	"create-api-key":      "staff:admin",
	"get-api-key":         "staff:admin",
	"revoke-api-key":      "staff:admin",
	"list-audit-events":   "staff:admin",

	"list-consent-texts":     "public",
	"create-member":          "public",
	"confirm-member":         "public",
	"request-member-sign-in": "public",
	"member-sign-in":         "public",
	"unsubscribe":            "public",
	"create-partner-member":  "key:members:signup",
	"get-my-membership":      "member",
	"update-my-membership":   "member",
	"export-my-data":         "member",
	"erase-my-data":          "member",
	"list-members":           "staff:membership",
	"get-member":             "staff:membership",
	"update-member":          "staff:membership",
	"add-member-note":        "staff:membership",
	"export-members":         "staff:membership",
	"import-members":         "staff:membership",
	"get-member-stats":       "staff:membership,analyst",
	"list-outbox":            "staff:membership",
	"retry-outbox-email":     "staff:membership",

	"list-opportunities":          "public",
	"opportunities-calendar":      "public",
	"get-opportunity":             "public",
	"register-for-opportunity":    "public",
	"cancel-registration":         "public",
	"list-my-opportunities":       "member",
	"create-opportunity":          "staff:editor",
	"update-opportunity":          "staff:editor",
	"list-opportunity-reviews":    "staff:editor",
	"review-opportunity":          "staff:editor",
	"get-opportunity-alerts":      "staff:editor",
	"control-opportunity-alerts":  "staff:editor",
	"publish-opportunity-outcome": "staff:editor",
	"report-opportunity-outcome":  "staff:editor",
	"list-opportunity-attendees":  "staff:editor,membership",
	"submit-partner-opportunity":  "key:opportunities:write",
	"list-partner-opportunities":  "key:opportunities:write",
	"get-partner-opportunity":     "key:opportunities:write",
	"update-partner-opportunity":  "key:opportunities:write",
	"list-partner-attendees":      "key:opportunities:write",
	"report-partner-outcome":      "key:opportunities:write",
	// Donations and Gift Aid.
	"list-campaigns":                   "public",
	"get-campaign":                     "public",
	"create-campaign":                  "staff:treasurer",
	"update-campaign":                  "staff:treasurer",
	"get-donation-options":             "public",
	"create-donation-checkout":         "public",
	"get-donation-totals":              "public",
	"create-donor-portal-session":      "public",
	"receive-stripe-webhook":           "public",
	"list-donations":                   "staff:treasurer",
	"get-donation":                     "staff:treasurer",
	"record-offline-donation":          "staff:treasurer",
	"refund-donation":                  "staff:treasurer",
	"export-donations":                 "staff:treasurer",
	"get-donation-summary":             "staff:treasurer",
	"list-donors":                      "staff:treasurer",
	"get-donor":                        "staff:treasurer",
	"merge-donors":                     "staff:treasurer",
	"send-donor-statement":             "staff:treasurer",
	"list-reconciliation-reports":      "staff:treasurer",
	"get-reconciliation-report":        "staff:treasurer",
	"run-reconciliation":               "staff:treasurer",
	"list-ledger-entries":              "staff:treasurer",
	"get-month-end-report":             "staff:treasurer",
	"export-ledger":                    "staff:treasurer",
	"get-gift-aid-wording":             "public",
	"create-gift-aid-declaration":      "staff:treasurer",
	"list-gift-aid-declarations":       "staff:treasurer",
	"get-gift-aid-declaration":         "staff:treasurer",
	"cancel-gift-aid-declaration":      "staff:treasurer",
	"preview-gift-aid-claim":           "staff:treasurer",
	"create-gift-aid-claim":            "staff:treasurer",
	"list-gift-aid-claims":             "staff:treasurer",
	"get-gift-aid-claim-schedule":      "staff:treasurer",
	"get-gift-aid-claim":               "staff:treasurer",
	"submit-gift-aid-claim":            "staff:treasurer",
	"accept-gift-aid-claim":            "staff:treasurer",
	"reject-gift-aid-claim":            "staff:treasurer",
	"void-gift-aid-claim":              "staff:treasurer",
	"resubmit-gift-aid-claim":          "staff:treasurer",
	"record-gift-aid-written-record":   "staff:treasurer",
	"get-gift-aid-written-record":      "staff:treasurer",
	"exclude-donation-from-gift-aid":   "staff:treasurer",
	"lift-donation-gift-aid-exclusion": "staff:treasurer",
	"record-small-donation":            "staff:treasurer",
	"list-my-donations":                "member",
	"request-my-donation-statement":    "member",
	"list-my-gift-aid-declarations":    "member",
	"cancel-my-gift-aid-declaration":   "member",
	"update-site":                      "staff:editor",
	"list-pages":                       "public",
	"get-page":                         "public",
	"list-all-pages":                   "staff:editor",
	"create-page":                      "staff:editor",
	"preview-page":                     "staff:editor",
	"update-page":                      "staff:editor",
	"delete-page":                      "staff:editor",
	"list-page-revisions":              "staff:editor",
	"get-page-revision":                "staff:editor",
	"restore-page-revision":            "staff:editor",
	"list-audiences":                   "public",
	"get-audience":                     "staff:editor",
	"create-audience":                  "staff:editor",
	"update-audience":                  "staff:editor",
	"delete-audience":                  "staff:editor",
	"get-navigation":                   "public",
	"get-menu":                         "staff:editor",
	"replace-menu":                     "staff:editor",
	"get-calls-to-action":              "staff:editor",
	"replace-calls-to-action":          "staff:editor",
	"search":                           "public",
	"get-enquiry-form-token":           "public",
	"submit-enquiry":                   "public",
	"list-enquiries":                   "staff:editor,membership",
	"get-enquiry":                      "staff:editor,membership",
	"update-enquiry":                   "staff:editor,membership",
	"delete-enquiry":                   "staff:membership",
	"send-event":                       "public",
	"send-events-batch":                "public",
	"get-visit-counter":                "public",
	"query-stats":                      "staff:analyst|key:stats:read",
	"get-stats-summary":                "staff:analyst|key:stats:read",
	"get-stats-timeseries":             "staff:analyst|key:stats:read",
	"get-stats-breakdown":              "staff:analyst|key:stats:read",
	"get-stats-realtime":               "staff:analyst|key:stats:read",
	"list-stats-goals":                 "staff:analyst|key:stats:read",
	"query-stats-funnel":               "staff:analyst|key:stats:read",
	"export-stats":                     "staff:analyst|key:stats:read",
	"create-stats-share":               "staff:admin",
	"list-stats-shares":                "staff:admin",
	"revoke-stats-share":               "staff:admin",
	"get-shared-stats":                 "public",
	"unlock-shared-stats":              "public",
	"get-shared-stats-summary":         "public",
	"get-shared-stats-timeseries":      "public",
	"get-shared-stats-breakdown":       "public",
	"create-stats-goal":                "staff:analyst",
	"delete-stats-goal":                "staff:analyst",
	"list-stats-funnels":               "staff:analyst|key:stats:read",
	"get-stats-funnel":                 "staff:analyst|key:stats:read",
	"get-stats-funnel-report":          "staff:analyst|key:stats:read",
	"create-stats-funnel":              "staff:analyst",
	"update-stats-funnel":              "staff:analyst",
	"delete-stats-funnel":              "staff:analyst",
	"get-shared-stats-funnel":          "public",
	"import-stats":                     "staff:analyst",
	"list-stats-imports":               "staff:analyst",
	"get-stats-import":                 "staff:analyst",
	"delete-stats-import":              "staff:analyst",
	// Outgoing webhooks.
	"list-webhook-endpoints":      "staff:admin|key:webhooks:manage",
	"create-webhook-endpoint":     "staff:admin|key:webhooks:manage",
	"get-webhook-endpoint":        "staff:admin|key:webhooks:manage",
	"update-webhook-endpoint":     "staff:admin|key:webhooks:manage",
	"delete-webhook-endpoint":     "staff:admin|key:webhooks:manage",
	"rotate-webhook-secret":       "staff:admin|key:webhooks:manage",
	"send-webhook-test":           "staff:admin|key:webhooks:manage",
	"list-webhook-deliveries":     "staff:admin|key:webhooks:manage",
	"get-webhook-delivery":        "staff:admin|key:webhooks:manage",
	"redeliver-webhook":           "staff:admin|key:webhooks:manage",
	"list-my-partner-sharing":     "member",
	"withdraw-my-partner-sharing": "member",
}

type matrixCaller struct {
	name   string
	token  string
	key    string
	role   identity.Role  // for valid staff
	scope  identity.Scope // for valid keys
	member bool           // a valid member token
	bad    bool           // credentials that must never work
}

// expectAllowed reads the hand-written policy for one caller.
func expectAllowed(policy string, c matrixCaller) bool {
	if policy == "public" {
		return true
	}
	for _, alt := range strings.Split(policy, "|") {
		kind, list, _ := strings.Cut(alt, ":")
		switch {
		case c.bad:
		case kind == "member" && c.member:
			return true
		case kind == "staff" && c.role != "":
			if list == "any" || c.role == identity.RoleAdmin || strings.Contains(","+list+",", ","+string(c.role)+",") {
				return true
			}
		case kind == "key" && c.scope != "":
			if strings.Contains(","+list+",", ","+string(c.scope)+",") {
				return true
			}
		}
	}
	return false
}

const matrixKeyB64 = "bWF0cml4LXRlc3Qta2V5LW9mLWF0LWxlYXN0LTMyLWJ5dGVzIQ"

func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_LOGIN_RATE_LIMIT": "100000", "HPA_JWT_KEYS": "matrix:" + matrixKeyB64})
	secret, _ := base64.RawURLEncoding.DecodeString(matrixKeyB64)
	forge := func(method jwt.SigningMethod, key any, kid string, mutate func(jwt.MapClaims)) string {
		claims := jwt.MapClaims{"iss": srv.Config.PublicBaseURL.String(), "aud": identity.AudienceStaff, "sub": uuid.NewString(),
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}
		if mutate != nil {
			mutate(claims)
		}
		tok := jwt.NewWithClaims(method, claims)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	var callers []matrixCaller
	callers = append(callers, matrixCaller{name: "anonymous"})
	for _, r := range identity.Roles {
		callers = append(callers, matrixCaller{name: "staff " + string(r), token: srv.StaffToken(t, r), role: r})
	}
	for _, sc := range identity.Scopes {
		key, _ := srv.NewAPIKey(t, sc)
		callers = append(callers, matrixCaller{name: "key " + string(sc), key: key, scope: sc})
	}
	memberToken := srv.MemberToken(t, "matrix-member@example.org")
	callers = append(callers, matrixCaller{name: "member", token: memberToken, member: true})
	erasedToken := srv.MemberToken(t, "erased-member@example.org")
	if r := srv.Do(apitest.Request{Method: "DELETE", Path: "/v1/me", Token: erasedToken}); r.StatusCode != 204 {
		t.Fatalf("erase: %d", r.StatusCode)
	}
	adminToken := srv.StaffToken(t, identity.RoleAdmin)
	parts := strings.Split(adminToken, ".")
	revoked, _ := srv.NewAPIKey(t, identity.Scopes...)
	expiredAt := time.Now().Add(time.Hour)
	expiredKey, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{Scopes: identity.Scopes, ExpiresAt: &expiredAt})
	disabledEmail, disabledPassword := srv.NewStaff(t, identity.RoleAdmin)
	disabled := srv.Login(t, disabledEmail, disabledPassword).AccessToken
	ctx := context.Background()
	for _, stmt := range []string{
		`UPDATE api_keys SET revoked_at = now() WHERE lookup_id = '` + revoked[len("hpa_test_"):len("hpa_test_")+12] + `'`,
		`UPDATE api_keys SET expires_at = now() WHERE lookup_id = '` + expiredKey[len("hpa_test_"):len("hpa_test_")+12] + `'`,
		`UPDATE staff SET active = false WHERE email = '` + disabledEmail + `'`,
	} {
		if _, err := srv.Pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	callers = append(callers,
		matrixCaller{name: "expired token", bad: true, token: forge(jwt.SigningMethodHS256, secret, "matrix", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })},
		matrixCaller{name: "tampered token", bad: true, token: parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+uuid.NewString()+`","roles":["admin"]}`)) + "." + parts[2]},
		matrixCaller{name: "wrong-alg token (HS512)", bad: true, token: forge(jwt.SigningMethodHS512, secret, "matrix", nil)},
		matrixCaller{name: "none-alg token", bad: true, token: forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "matrix", nil)},
		matrixCaller{name: "wrong-audience token", bad: true, token: forge(jwt.SigningMethodHS256, secret, "matrix", func(c jwt.MapClaims) { c["aud"] = "someone-else" })},
		matrixCaller{name: "erased member's token", bad: true, token: erasedToken},
		matrixCaller{name: "unknown-kid token", bad: true, token: forge(jwt.SigningMethodHS256, secret, "other", nil)},
		matrixCaller{name: "disabled staff token", bad: true, token: disabled},
		matrixCaller{name: "revoked key", bad: true, key: revoked},
		matrixCaller{name: "expired key", bad: true, key: expiredKey},
	)

	// Erasing the member (DELETE /v1/me) goes last: it ends their token.
	ops := operations()
	sort.SliceStable(ops, func(i, j int) bool {
		return ops[i].op.OperationID != "erase-my-data" && ops[j].op.OperationID == "erase-my-data"
	})
	seen := map[string]bool{}
	for _, o := range ops {
		id := o.op.OperationID
		seen[id] = true
		policy, ok := accessMatrix[id]
		if !ok {
			t.Errorf("operation %s has no entry in the access matrix: add its policy", id)
			continue
		}
		path := pathParam.ReplaceAllString(o.path, uuid.NewString())
		var body any
		if o.op.RequestBody != nil {
			body = map[string]any{}
		}
		for _, c := range callers {
			r := srv.Do(apitest.Request{Method: o.method, Path: path, Body: body, Token: c.token, APIKey: c.key})
			denied := r.StatusCode == 401 || r.StatusCode == 403
			switch want := expectAllowed(policy, c); {
			case want && denied:
				t.Errorf("%s as %s: denied (%d %s), policy %q allows", id, c.name, r.StatusCode, r.Body, policy)
			case !want && !denied:
				t.Errorf("%s as %s: allowed (%d), policy %q denies", id, c.name, r.StatusCode, policy)
			case !want && (c.bad || (c.token == "" && c.key == "")) && r.StatusCode != 401:
				t.Errorf("%s as %s: %d, want 401 for missing or invalid credentials", id, c.name, r.StatusCode)
			case !want && !c.bad && (c.token != "" || c.key != "") && r.StatusCode != 403:
				t.Errorf("%s as %s: %d, want 403 for valid credentials without permission", id, c.name, r.StatusCode)
			}
		}
	}
	for id := range accessMatrix {
		if !seen[id] {
			t.Errorf("access matrix lists %s, which the contract does not have", id)
		}
	}
}

// Special-category data of attendees (their accessibility needs) follows
// the membership rule, beyond the operation-level matrix above: an
// editor may list attendees but never sees access needs, not even by
// naming themself the event's HPA contact; only a caller who holds the
// membership role (or admin) at the time of the request sees them.
func TestAttendeeAccessNeedsFollowTheMembershipRole(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	staff := func(roles ...identity.Role) (id, token string) {
		email, password := srv.NewStaff(t, roles...)
		token = srv.Login(t, email, password).AccessToken
		var me struct {
			ID string `json:"id"`
		}
		srv.Do(apitest.Request{Path: "/v1/auth/me", Token: token}).JSON(t, &me)
		return me.ID, token
	}
	editorID, editor := staff(identity.RoleEditor)
	contactID, contact := staff(identity.RoleEditor, identity.RoleMembership)
	admin := srv.StaffToken(t, identity.RoleAdmin)
	event := func(hpaContact string) map[string]any {
		return map[string]any{"kind": "listening-event", "title": "Listening event for bereaved families", "summary": "Come and be heard.",
			"organiser_name": "HPA", "online": true, "starts_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "hpa_contact_id": hpaContact}
	}

	// The assignment: an editor cannot make themself (or anyone without
	// the membership role) the contact.
	for name, id := range map[string]string{"the editor themself": editorID, "nobody": uuid.NewString()} {
		r := post(srv, "/v1/opportunities", event(id), editor)
		if r.StatusCode != 422 || r.Problem(t).Code != "hpa-contact-not-eligible" || !strings.Contains(string(r.Body), "body.hpa_contact_id") {
			t.Errorf("hpa_contact_id naming %s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	var opp opportunityBody
	if r := post(srv, "/v1/opportunities", event(contactID), editor); r.StatusCode != 201 {
		t.Fatalf("create with a membership contact: %d %s", r.StatusCode, r.Body)
	} else {
		r.JSON(t, &opp)
	}
	if r := srv.Do(apitest.Request{Method: "POST", Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}}); r.StatusCode != 200 {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
	}
	if r := post(srv, "/v1/opportunities/"+opp.ID+"/registrations", map[string]any{"name": "Gwen", "email": "gwen@example.org",
		"accessibility_needs": "Step-free access and a quiet room", "accessibility_consent": true}, ""); r.StatusCode != 201 {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	shown := 0 // responses that carried access needs: each must be audited as such
	needs := func(token string) (int, string) {
		var list struct {
			Items []struct {
				AccessibilityNeeds string `json:"accessibility_needs"`
			} `json:"items"`
		}
		r := srv.Do(apitest.Request{Path: "/v1/opportunities/" + opp.ID + "/registrations", Token: token})
		if r.StatusCode != 200 {
			return r.StatusCode, ""
		}
		r.JSON(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("attendees: %s", r.Body)
		}
		if list.Items[0].AccessibilityNeeds != "" {
			shown++
		}
		return r.StatusCode, list.Items[0].AccessibilityNeeds
	}
	audited := func(action string) int {
		return countRows(t, srv, `SELECT count(*) FROM audit_events WHERE action = $1 AND target_id = $2`, action, opp.ID)
	}

	if code, got := needs(contact); code != 200 || got != "Step-free access and a quiet room" {
		t.Errorf("membership contact: %d %q, want the access needs", code, got)
	}
	if n := audited("opportunity.attendees_read_access_needs"); n != shown {
		t.Errorf("%d audited reads of access needs, want %d", n, shown)
	}
	if code, got := needs(admin); code != 200 || got == "" {
		t.Errorf("admin: %d %q, want the access needs", code, got)
	}
	if code, got := needs(editor); code != 200 || got != "" {
		t.Errorf("editor (not the contact): %d %q, want the list without access needs", code, got)
	}

	// An editor who is the contact all the same (set before this rule, or
	// straight in the database) still sees no access needs.
	if _, err := srv.Pool.Exec(ctx, `UPDATE opportunities SET hpa_contact_id = $1 WHERE id = $2`, editorID, opp.ID); err != nil {
		t.Fatal(err)
	}
	if code, got := needs(editor); code != 200 || got != "" {
		t.Errorf("editor who is the HPA contact: %d %q, want the list without access needs", code, got)
	}

	// Roles are current: the contact loses the membership role and, with
	// the same token, sees access needs no more; nor can they stay contact.
	if _, err := srv.Pool.Exec(ctx, `UPDATE opportunities SET hpa_contact_id = $1 WHERE id = $2`, contactID, opp.ID); err != nil {
		t.Fatal(err)
	}
	if r := srv.Do(apitest.Request{Method: "PATCH", Path: "/v1/staff/" + contactID, Token: admin, Body: map[string]any{"roles": []string{"editor"}}}); r.StatusCode != 200 {
		t.Fatalf("re-role the contact: %d %s", r.StatusCode, r.Body)
	}
	apitest.Eventually(t, 5*time.Second, "the contact's access needs withdrawn with their role", func() bool {
		code, got := needs(contact)
		return code == 200 && got == ""
	})
	r := srv.Do(apitest.Request{Method: "PUT", Path: "/v1/opportunities/" + opp.ID, Token: editor, Body: event(contactID)})
	if r.StatusCode != 422 || r.Problem(t).Code != "hpa-contact-not-eligible" {
		t.Errorf("keeping a contact without the membership role: %d %s", r.StatusCode, r.Body)
	}
	if n := audited("opportunity.attendees_read_access_needs"); n != shown {
		t.Errorf("%d audited reads of access needs, want %d (one per answer that carried them)", n, shown)
	}
	if n := audited("opportunity.attendees_read"); n < 3 {
		t.Errorf("%d audited reads without access needs, want at least 3 (the editor's, the re-roled contact's)", n)
	}
}
