package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
	"github.com/harmedpatients/hpa/internal/mail/mailtest"
)

// publishedEvent creates and publishes an HPA webinar with capacity places
// (0: unlimited) and returns its ID.
func publishedEvent(t *testing.T, srv *apitest.Server, capacity int) string {
	t.Helper()
	editor := srv.StaffToken(t, identity.RoleEditor)
	body := map[string]any{"kind": "webinar", "title": "Support after maternity loss", "summary": "For families bereaved by maternity harm.",
		"organiser_name": "HPA", "online": true, "starts_at": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)}
	if capacity > 0 {
		body["capacity"] = capacity
	}
	var opp opportunityBody
	post(srv, "/v1/opportunities", body, editor).JSON(t, &opp)
	if r := srv.Do(apitest.Request{Method: http.MethodPost, Path: "/v1/opportunities/" + opp.ID + "/review", Token: editor, Body: map[string]string{"action": "publish"}}); r.StatusCode != 200 {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Body)
	}
	return opp.ID
}

// registrationAnswer is what a caller can see of a registration's answer.
type registrationAnswer struct {
	Status      int
	ContentType string
	Fields      []string
	State       string
	Position    any
	ID          string
}

func answerOf(t *testing.T, r *apitest.Response) registrationAnswer {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%d %s: %v", r.StatusCode, r.Body, err)
	}
	a := registrationAnswer{Status: r.StatusCode, ContentType: r.Header.Get("Content-Type"), State: fmt.Sprint(body["status"]), Position: body["waitlist_position"]}
	a.ID, _ = body["id"].(string)
	for k := range body {
		a.Fields = append(a.Fields, k)
	}
	slices.Sort(a.Fields)
	return a
}

// Booking someone else's address answers exactly as booking a new one
// would, so nobody learns who booked an event for bereaved families; the
// person is told by email instead (once an hour at most), their booking
// stands unchanged, and the email tells them how to cancel it.
func TestAnonymousRegistrationRevealsNoBooking(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	id := publishedEvent(t, srv, 2)
	register := func(name, email string) *apitest.Response {
		return post(srv, "/v1/opportunities/"+id+"/registrations", map[string]any{"name": name, "email": email,
			"accessibility_needs": "Please call me on 07700 900123", "accessibility_consent": true, "share_with_organiser": true}, "")
	}
	r := register("Vera", "vera@example.org")
	if r.StatusCode != 201 {
		t.Fatalf("the real booking: %d %s", r.StatusCode, r.Body)
	}
	vera := answerOf(t, r)

	// One place left: a new person would be confirmed.
	probe := answerOf(t, register("Mallory", "VERA@example.org"))
	fresh := answerOf(t, register("Fred", "fred@example.org"))
	// Now full: a new person would wait, first in line.
	probe2 := answerOf(t, register("Mallory", "vera@example.org"))
	fresh2 := answerOf(t, register("Fay", "fay@example.org"))
	for _, c := range []struct {
		name         string
		probe, fresh registrationAnswer
		wantState    string
		wantPosition any
	}{
		{"with places left", probe, fresh, "confirmed", nil},
		{"when full", probe2, fresh2, "waitlisted", float64(1)},
	} {
		if c.probe.Status != 201 || c.fresh.Status != 201 {
			t.Errorf("%s: someone else's address %d, a new one %d; want 201 for both", c.name, c.probe.Status, c.fresh.Status)
		}
		if c.probe.ContentType != c.fresh.ContentType || !slices.Equal(c.probe.Fields, c.fresh.Fields) {
			t.Errorf("%s: answers differ in shape: %+v vs %+v", c.name, c.probe, c.fresh)
		}
		if c.probe.State != c.wantState || c.fresh.State != c.wantState || c.probe.Position != c.wantPosition || c.fresh.Position != c.wantPosition {
			t.Errorf("%s: status/position %s/%v (someone else's) and %s/%v (new), want %s/%v", c.name,
				c.probe.State, c.probe.Position, c.fresh.State, c.fresh.Position, c.wantState, c.wantPosition)
		}
		if c.probe.ID == vera.ID || c.probe.ID == "" {
			t.Errorf("%s: the answer has no new ID, or gives away the existing booking's (%q)", c.name, c.probe.ID)
		}
	}

	// Vera is told, once however often it happens, with her booking as it
	// stands and how to cancel it; the greeting is hers, not the caller's.
	msg := srv.Mail.WaitFor(t, "vera@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.Contains(m.Subject, "already") })
	if !strings.Contains(msg.Text, "Vera") || strings.Contains(msg.Text, "Mallory") || strings.Contains(msg.Text, "07700") ||
		!strings.Contains(msg.Text, "still stands") || !strings.Contains(msg.Text, "cancel?token=") {
		t.Errorf("already-registered email:\n%s", msg.Text)
	}
	apitest.Eventually(t, 10*time.Second, "all five requests' notices handled", func() bool {
		return countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind = 'engagement.registration_notice' AND state = 'completed'`) == 5
	})
	if n := countRows(t, srv, `SELECT count(*) FROM river_job WHERE kind = 'mail.send' AND args->>'template' = 'registration-already'`); n != 1 {
		t.Errorf("%d already-registered emails queued, want 1 (at most one an hour)", n)
	}
	// Nothing stored was overwritten.
	membership := srv.StaffToken(t, identity.RoleMembership)
	var list struct {
		Items []struct {
			Name               string `json:"name"`
			Email              string `json:"email"`
			Status             string `json:"status"`
			AccessibilityNeeds string `json:"accessibility_needs"`
		} `json:"items"`
	}
	srv.Do(apitest.Request{Path: "/v1/opportunities/" + id + "/registrations", Token: membership}).JSON(t, &list)
	veras := 0
	for _, a := range list.Items {
		if a.Email == "vera@example.org" {
			veras++
			if a.Name != "Vera" || a.Status != "confirmed" {
				t.Errorf("Vera's booking changed: %+v", a)
			}
		}
	}
	if veras != 1 || len(list.Items) != 3 {
		t.Errorf("attendees: %+v, want Vera once, Fred and Fay", list.Items)
	}
	// The link in that email cancels her place, which goes to Fay.
	token := strings.Fields(msg.Text[strings.Index(msg.Text, "cancel?token=")+len("cancel?token="):])[0]
	if r := post(srv, "/v1/registrations/cancel", map[string]string{"token": token}, ""); r.StatusCode != 204 {
		t.Fatalf("cancel from the already-registered email: %d %s", r.StatusCode, r.Body)
	}
	srv.Mail.WaitFor(t, "fay@example.org", 10*time.Second, func(m mailtest.Message) bool { return strings.HasPrefix(m.Subject, "A place has come up") })
}

// The answer takes as long whether or not the address was already booked.
func TestAnonymousRegistrationTimingRevealsNoBooking(t *testing.T) {
	// Not parallel: it measures how long answers take.
	if testing.Short() {
		t.Skip("timing test")
	}
	srv := apitest.Start(t, map[string]string{"HPA_RATE_LIMIT": "100000"})
	id := publishedEvent(t, srv, 0)
	register := func(email string) time.Duration {
		start := time.Now()
		r := post(srv, "/v1/opportunities/"+id+"/registrations", map[string]any{"name": "Someone", "email": email}, "")
		if r.StatusCode != 201 {
			t.Fatalf("register %s: %d %s", email, r.StatusCode, r.Body)
		}
		return time.Since(start)
	}
	register("booked@example.org")
	// Pairs taken back to back, in alternating order, so that load from
	// elsewhere on the machine falls on both halves of a pair alike; the
	// median of the pairs' differences is then what the address changes.
	var diffs, fresh []time.Duration
	for i := 0; i < 100; i++ {
		address := fmt.Sprintf("fresh%d@example.org", i)
		var b, f time.Duration
		if i%2 == 0 {
			b, f = register("booked@example.org"), register(address)
		} else {
			f, b = register(address), register("booked@example.org")
		}
		diffs, fresh = append(diffs, b-f), append(fresh, f)
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	d, f := median(diffs), median(fresh)
	t.Logf("median registration: new %s; already booked takes %s longer (median of 100 pairs), %.0f%%", f, d, 100*float64(d)/float64(f))
	if d > f*3/10 || d < -f*3/10 {
		t.Errorf("timing differs: already booked takes %s longer than new (%s)", d, f)
	}
}
