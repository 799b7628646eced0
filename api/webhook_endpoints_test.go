package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is a partner's webhook endpoint: a plain-HTTP server on this
// machine that records what it receives and answers with status(n) for
// the nth request (200 unless set).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	status func(n int) int
}

type delivery struct {
	header http.Header
	body   []byte
	event  struct {
		Type      string         `json:"type"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{status: func(int) int { return http.StatusOK }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d := delivery{header: r.Header.Clone(), body: body}
		if err := json.Unmarshal(body, &d.event); err != nil {
			t.Errorf("delivery body is not JSON: %q", body)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		n := len(rc.got)
		rc.mu.Unlock()
		w.WriteHeader(rc.status(n))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// waitFor waits until n deliveries arrived and returns them.
func (rc *receiver) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	apitest.Eventually(t, 15*time.Second, "webhook deliveries", func() bool { return len(rc.deliveries()) >= n })
	return rc.deliveries()
}

// verify checks a delivery with the official Standard Webhooks library.
func verify(t *testing.T, secret string, d delivery) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return wh.Verify(d.body, d.header)
}

type createdEndpoint struct {
	Secret   string `json:"secret"`
	Endpoint struct {
		ID             string `json:"id"`
		Enabled        bool   `json:"enabled"`
		DisabledReason string `json:"disabled_reason"`
	} `json:"endpoint"`
}

func addEndpoint(t testing.TB, srv *apitest.Server, key, url string, events ...string) createdEndpoint {
	t.Helper()
	r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints", APIKey: key, Body: map[string]any{"url": url, "events": events}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("add endpoint: %d %s", r.StatusCode, r.Body)
	}
	var out createdEndpoint
	r.JSON(t, &out)
	if !strings.HasPrefix(out.Secret, "whsec_") {
		t.Fatalf("secret %q", out.Secret)
	}
	return out
}

type deliveryLog struct {
	Items []struct {
		ID             string `json:"id"`
		MessageID      string `json:"message_id"`
		EventType      string `json:"event_type"`
		Status         string `json:"status"`
		Attempts       int    `json:"attempts"`
		ResponseStatus int    `json:"response_status"`
		Error          string `json:"error"`
	} `json:"items"`
}

func deliveriesOf(t *testing.T, srv *apitest.Server, key, endpoint string) deliveryLog {
	t.Helper()
	var log deliveryLog
	r := srv.Do(apitest.Request{Path: "/v1/webhook-endpoints/" + endpoint + "/deliveries", APIKey: key})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("delivery log: %d %s", r.StatusCode, r.Body)
	}
	r.JSON(t, &log)
	return log
}

// confirmFromEmail confirms the membership whose confirmation email went
// to addr and returns the member token.
func confirmFromEmail(t *testing.T, srv *apitest.Server, addr string) string {
	t.Helper()
	srv.WaitForSignups(t)
	msg := srv.Mail.WaitFor(t, addr, 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Text, "confirm") })
	r := post(srv, "/v1/members/confirm", map[string]string{"token": apitest.TokenFrom(t, msg)}, "")
	var out struct {
		MemberToken string `json:"member_token"`
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("confirm %s: %d %s", addr, r.StatusCode, r.Body)
	}
	return out.MemberToken
}

// A partner signs someone up; when they confirm, the partner's endpoint
// receives a signed member.sharing_confirmed that the official Standard
// Webhooks library verifies. Someone signed up without partner-sharing
// consent is never mentioned; a withdrawal names only the member_ref.
func TestWebhookAfterAPartnerSignupIsConfirmed(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true"})
	rc := newReceiver(t)
	key, org := srv.NewAPIKey(t, identity.ScopeMembersSignup, identity.ScopeWebhooksManage)
	ep := addEndpoint(t, srv, key, rc.URL+"/hpa", "member.sharing_confirmed", "member.sharing_withdrawn")

	noConsent := apitest.SignupBody("no-sharing@example.org")
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", APIKey: key, Body: noConsent}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup without sharing: %d %s", r.StatusCode, r.Body)
	}
	confirmFromEmail(t, srv, "no-sharing@example.org")
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/partner/members", APIKey: key, Body: partnerSignup("Sharing@Example.org")}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("signup with sharing: %d %s", r.StatusCode, r.Body)
	}
	member := confirmFromEmail(t, srv, "Sharing@Example.org")

	got := rc.waitFor(t, 1)[0]
	if err := verify(t, ep.Secret, got); err != nil {
		t.Fatalf("signature does not verify: %v (headers %v)", err, got.header)
	}
	ref, _ := got.event.Data["member_ref"].(string)
	if got.event.Type != "member.sharing_confirmed" || !strings.EqualFold(got.event.Data["email"].(string), "Sharing@Example.org") || !strings.HasPrefix(ref, "mbr_") {
		t.Fatalf("delivery: %s", got.body)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM webhook_events`); n != 1 {
		t.Errorf("%d events stored, want 1: nothing about the person who did not agree to share", n)
	}

	if got := sharingOf(t, srv, member); len(got) != 1 || got[0] != org.String() {
		t.Fatalf("the member shares with %v, want the partner %s alone", got, org)
	}
	if r := srv.Do(apitest.Request{Method: http.MethodDelete, Path: "/v1/me/partner-sharing/" + org.String(), Token: member}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("withdraw: %d %s", r.StatusCode, r.Body)
	}
	if got := sharingOf(t, srv, member); len(got) != 0 {
		t.Errorf("after withdrawing, the member still shares with %v", got)
	}
	withdrawn := rc.waitFor(t, 2)[1]
	if withdrawn.event.Type != "member.sharing_withdrawn" || withdrawn.event.Data["member_ref"] != ref || strings.Contains(string(withdrawn.body), "xample.org") {
		t.Errorf("withdrawal: %s", withdrawn.body)
	}
	if err := verify(t, ep.Secret, withdrawn); err != nil {
		t.Errorf("withdrawal signature: %v", err)
	}
	// The receiver answered before the sender recorded its answer.
	var log deliveryLog
	apitest.Eventually(t, 10*time.Second, "both deliveries recorded", func() bool {
		log = deliveriesOf(t, srv, key, ep.Endpoint.ID)
		return len(log.Items) == 2 && log.Items[0].Status != "pending" && log.Items[1].Status != "pending"
	})
	for _, d := range log.Items {
		if d.Status != "succeeded" || d.ResponseStatus != 200 {
			t.Errorf("delivery log: %+v", log)
		}
	}
}

// sharingOf lists the organisations a member shares their membership with.
func sharingOf(t *testing.T, srv *apitest.Server, member string) []string {
	t.Helper()
	var list struct {
		Items []struct {
			OrganisationID string `json:"organisation_id"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/me/partner-sharing", Token: member}).JSON(t, &list)
	ids := make([]string, len(list.Items))
	for i, it := range list.Items {
		ids[i] = it.OrganisationID
	}
	return ids
}

// A receiver that answers 500 gets the delivery again, with the same
// webhook-id, and once it answers 200 exactly one success is recorded.
func TestWebhookRetriedAfterAFailure(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true", "HPA_WEBHOOK_RETRY_DELAYS": "50ms,50ms,50ms"})
	rc := newReceiver(t)
	rc.status = func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	key, _ := srv.NewAPIKey(t, identity.ScopeWebhooksManage)
	ep := addEndpoint(t, srv, key, rc.URL, "opportunity.reviewed")
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/test", APIKey: key}); r.StatusCode != http.StatusAccepted {
		t.Fatalf("test event: %d %s", r.StatusCode, r.Body)
	}
	got := rc.waitFor(t, 2)
	if got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") || got[1].event.Type != "webhook.test" {
		t.Errorf("the retry should carry the same webhook-id: %q, %q", got[0].header.Get("webhook-id"), got[1].header.Get("webhook-id"))
	}
	var log deliveryLog
	apitest.Eventually(t, 5*time.Second, "the success recorded", func() bool {
		log = deliveriesOf(t, srv, key, ep.Endpoint.ID)
		return len(log.Items) == 1 && log.Items[0].Status == "succeeded"
	})
	if log.Items[0].Attempts != 2 || log.Items[0].ResponseStatus != 200 {
		t.Errorf("delivery: %+v", log.Items[0])
	}
	if n := countRows(t, srv, `SELECT count(*) FROM webhook_attempts WHERE response_status = 200`); n != 1 {
		t.Errorf("%d successful attempts recorded, want exactly 1", n)
	}
	var one struct {
		Log []struct {
			ResponseStatus int `json:"response_status"`
		} `json:"attempts_log"`
	}
	srv.Do(apitest.Request{Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/deliveries/" + log.Items[0].ID, APIKey: key}).JSON(t, &one)
	if len(one.Log) != 2 || one.Log[0].ResponseStatus != 500 || one.Log[1].ResponseStatus != 200 {
		t.Errorf("attempt log: %+v", one.Log)
	}
	if n := len(rc.deliveries()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// An endpoint that fails every attempt of the whole retry schedule is
// disabled, and its organisation's contact is told by email.
func TestWebhookEndpointDisabledAfterPersistentFailure(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true", "HPA_WEBHOOK_RETRY_DELAYS": "30ms,30ms"})
	rc := newReceiver(t)
	rc.status = func(int) int { return http.StatusServiceUnavailable }
	admin := srv.StaffToken(t, identity.RoleAdmin)
	var org struct {
		ID string `json:"id"`
	}
	r := post(srv, "/v1/organisations", map[string]any{"name": "Failing Trust", "contact_email": "digital@failing.example"}, admin)
	r.JSON(t, &org)
	key, _ := srv.NewAPIKeyWith(t, identity.NewAPIKey{OrganisationID: uuid.MustParse(org.ID), Scopes: []identity.Scope{identity.ScopeWebhooksManage}})
	ep := addEndpoint(t, srv, key, rc.URL, "outcome.published")
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/test", APIKey: key})

	rc.waitFor(t, 3)
	msg := srv.Mail.WaitFor(t, "digital@failing.example", 15*time.Second, nil)
	if !strings.Contains(msg.Text, rc.URL) || !strings.Contains(msg.Subject, "disabled") {
		t.Errorf("email: %s\n%s", msg.Subject, msg.Text)
	}
	var now createdEndpoint
	srv.Do(apitest.Request{Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID, APIKey: key}).JSON(t, &now.Endpoint)
	if now.Endpoint.Enabled || now.Endpoint.DisabledReason != "failing" {
		t.Errorf("endpoint after persistent failure: %+v", now.Endpoint)
	}
	log := deliveriesOf(t, srv, key, ep.Endpoint.ID)
	if len(log.Items) != 1 || log.Items[0].Status != "failed" || log.Items[0].Attempts != 3 || log.Items[0].ResponseStatus != 503 {
		t.Errorf("delivery log: %+v", log)
	}
	// Disabled, it gets nothing more.
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/test", APIKey: key}); r.StatusCode != http.StatusConflict {
		t.Errorf("test event to a disabled endpoint: %d %s", r.StatusCode, r.Body)
	}
}

// After a rotation with an overlap, each delivery is signed by the new
// and the old secret, so a receiver with either verifies it; without an
// overlap, the old secret stops at once.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true"})
	rc := newReceiver(t)
	key, _ := srv.NewAPIKey(t, identity.ScopeWebhooksManage)
	ep := addEndpoint(t, srv, key, rc.URL, "outcome.published")
	rotate := func(overlap int) string {
		var out createdEndpoint
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/rotate-secret", APIKey: key,
			Body: map[string]any{"overlap_seconds": overlap}})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("rotate: %d %s", r.StatusCode, r.Body)
		}
		r.JSON(t, &out)
		return out.Secret
	}
	test := func(n int) delivery {
		srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/test", APIKey: key})
		return rc.waitFor(t, n)[n-1]
	}
	first := ep.Secret
	second := rotate(3600)
	d := test(1)
	if err := verify(t, first, d); err != nil {
		t.Errorf("old secret during the overlap: %v", err)
	}
	if err := verify(t, second, d); err != nil {
		t.Errorf("new secret: %v", err)
	}
	if sigs := strings.Fields(d.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("want two signatures during the overlap: %q", d.header.Get("webhook-signature"))
	}
	third := rotate(0)
	d = test(2)
	if err := verify(t, third, d); err != nil {
		t.Errorf("newest secret: %v", err)
	}
	if verify(t, second, d) == nil || verify(t, first, d) == nil {
		t.Errorf("a secret rotated without overlap still verifies: %q", d.header.Get("webhook-signature"))
	}
}

// Without the development setting, webhooks reach public addresses only:
// such a URL is refused when saved, and one that resolves to a private
// address when sending (as a DNS change could make it) is not connected to.
func TestWebhookNeverReachesAPrivateAddress(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	hits := 0
	target := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer target.Close()
	key, _ := srv.NewAPIKey(t, identity.ScopeWebhooksManage)
	for _, url := range []string{target.URL, "http://hooks.partner.example/x", "https://10.0.0.8/x", "https://[::ffff:127.0.0.1]/x",
		"https://169.254.169.254/latest/meta-data", "https://100.64.0.1/x", "https://localhost/x", "https://[fe80::1]/x"} {
		r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints", APIKey: key, Body: map[string]any{"url": url, "events": []string{"outcome.published"}}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "body.url") {
			t.Errorf("%s: %d %s", url, r.StatusCode, r.Body)
		}
	}
	ep := addEndpoint(t, srv, key, "https://hooks.partner.example/hpa", "outcome.published")
	if _, err := srv.Pool.Exec(t.Context(), `UPDATE webhook_endpoints SET url = $1 WHERE id = $2`, target.URL, ep.Endpoint.ID); err != nil {
		t.Fatal(err)
	}
	srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/webhook-endpoints/" + ep.Endpoint.ID + "/test", APIKey: key})
	var log deliveryLog
	apitest.Eventually(t, 10*time.Second, "the attempt recorded", func() bool {
		log = deliveriesOf(t, srv, key, ep.Endpoint.ID)
		return len(log.Items) == 1 && log.Items[0].Attempts > 0
	})
	if hits != 0 || !strings.HasPrefix(log.Items[0].Error, "refused") {
		t.Errorf("delivery to %s: %d requests arrived, log %+v", target.URL, hits, log.Items[0])
	}
}
