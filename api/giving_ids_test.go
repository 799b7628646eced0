package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

// Every ID a client sends that donations or Gift Aid would store as a
// reference is checked first: an unknown one is 422 naming the field (or
// 404 in the path), never a 500 from the database; a member's own token
// is the only way a member names themself, and the only declarations a
// member can name are their own.
func TestGivingChecksTheIDsItIsGiven(t *testing.T) {
	t.Parallel()
	srv := startGiving(t, nil)
	treasurer := srv.StaffToken(t, identity.RoleTreasurer)
	member := srv.MemberToken(t, "ida@example.org")
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/members", Body: apitest.SignupBody("pending@example.org")}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup: %d %s", r.StatusCode, r.Body)
	}
	var pending string
	apitest.Eventually(t, 10*time.Second, "the queued signup is stored", func() bool {
		return srv.Pool.QueryRow(t.Context(), `SELECT id::text FROM members WHERE status = 'pending'`).Scan(&pending) == nil
	})
	var me struct {
		Profile struct{ ID string } `json:"profile"`
	}
	srv.Do(apitest.Request{Path: "/v1/me", Token: member}).JSON(t, &me)
	unknown := "0b4e7a0e-5a3c-4a8e-9d57-2b1c3d4e5f60"
	gift := func(extra map[string]any) map[string]any {
		b := map[string]any{"amount_pence": 2500, "currency": "GBP", "frequency": "one_off", "campaign": "general"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	offline := func(extra map[string]any) map[string]any {
		b := map[string]any{"amount_pence": 1000, "method": "cash", "received_on": time.Now().Format(time.DateOnly), "campaign": "general"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	declaration := map[string]any{"first_name": "Ida", "last_name": "Dee", "house_name_or_number": "3", "postcode": "S19 2BD", "scope": "this_and_future",
		"wording_version": "hmrc-model-2026", "uk_taxpayer": true, "method": "written", "declared_on": "2026-01-05", "donor_id": unknown}

	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"a treasurer's checkout for an unknown member", http.MethodPost, "/v1/donations/checkout", treasurer, gift(map[string]any{"member_id": unknown}), 422, "body.member_id"},
		{"a treasurer's checkout for a member who never confirmed", http.MethodPost, "/v1/donations/checkout", treasurer, gift(map[string]any{"member_id": pending}), 422, "body.member_id"},
		{"a member naming themself", http.MethodPost, "/v1/donations/checkout", member, gift(map[string]any{"member_id": me.Profile.ID}), 422, "body.member_id"},
		{"a checkout for an unknown campaign", http.MethodPost, "/v1/donations/checkout", treasurer, gift(map[string]any{"campaign": "yachts"}), 422, "body.campaign"},
		{"an offline gift from an unknown donor", http.MethodPost, "/v1/donations/offline", treasurer, offline(map[string]any{"donor_id": unknown}), 422, "body.donor_id"},
		{"an offline gift under an unknown declaration", http.MethodPost, "/v1/donations/offline", treasurer, offline(map[string]any{"donor_name": "Ida", "gift_aid_declaration_id": unknown}), 422, "body.gift_aid_declaration_id"},
		{"an offline gift to an unknown campaign", http.MethodPost, "/v1/donations/offline", treasurer, offline(map[string]any{"campaign": "yachts"}), 422, "body.campaign"},
		{"a declaration for an unknown donor", http.MethodPost, "/v1/gift-aid/declarations", treasurer, declaration, 422, "body.donor_id"},
		{"a refund of an unknown gift", http.MethodPost, "/v1/donations/" + unknown + "/refunds", treasurer, map[string]any{"amount_pence": 100, "reason": "other"}, 404, ""},
		{"a statement for an unknown donor", http.MethodPost, "/v1/donors/" + unknown + "/statements", treasurer, map[string]any{"year": 2026}, 404, ""},
		{"a treasurer's cancel of an unknown declaration", http.MethodPost, "/v1/gift-aid/declarations/" + unknown + "/cancel", treasurer, nil, 404, ""},
		{"a member's cancel of an unknown declaration", http.MethodPost, "/v1/me/gift-aid-declarations/" + unknown + "/cancel", member, nil, 404, ""},
		{"a change to an unknown campaign", http.MethodPatch, "/v1/campaigns/yachts", treasurer, map[string]any{"name": "Yachts"}, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do(apitest.Request{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body})
			if r.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", r.StatusCode, r.Body, tc.status)
			}
			if tc.field == "" {
				return
			}
			p := r.Problem(t)
			if len(p.Errors) != 1 || p.Errors[0].Location != tc.field {
				t.Errorf("the problem does not name %s: %s", tc.field, r.Body)
			}
		})
	}
	if n := countRows(t, srv, `SELECT count(*) FROM donation_checkouts`); n != 0 {
		t.Errorf("%d checkouts made for IDs that do not exist", n)
	}
}
