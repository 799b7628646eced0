package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/harmedpatients/hpa/internal/identity"
)

type bookingBody struct {
	Offered     bool       `json:"offered"`
	Open        bool       `json:"open"`
	ClosesAt    *time.Time `json:"closes_at"`
	Capacity    *int       `json:"capacity"`
	PlacesLeft  *int       `json:"places_left"`
	Full        bool       `json:"full"`
	WaitingList bool       `json:"waiting_list"`
}

// An opportunity says whether a place can be booked, until when and how
// many are left, so the site need not apply the rules itself; the
// registration operation declares the optional member token it takes.
func TestOpportunitiesSayWhetherAPlaceCanBeBooked(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, nil)
	id := publishedEvent(t, srv, 1)
	booking := func() bookingBody {
		var o struct {
			Booking bookingBody `json:"booking"`
		}
		srv.Get("/v1/opportunities/"+id).JSON(t, &o)
		return o.Booking
	}
	b := booking()
	if !b.Offered || !b.Open || b.ClosesAt == nil || b.Capacity == nil || *b.Capacity != 1 || b.PlacesLeft == nil || *b.PlacesLeft != 1 || b.Full || b.WaitingList {
		t.Fatalf("before booking: %+v", b)
	}
	if r := post(srv, "/v1/opportunities/"+id+"/registrations", map[string]any{"name": "Ann", "email": "ann@example.org"}, ""); r.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	var list struct {
		Items []struct {
			ID      string      `json:"id"`
			Booking bookingBody `json:"booking"`
		} `json:"items"`
	}
	srv.Get("/v1/opportunities").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != id {
		t.Fatalf("list: %+v", list)
	}
	if b := list.Items[0].Booking; !b.Open || *b.PlacesLeft != 0 || !b.Full || !b.WaitingList {
		t.Errorf("full event in the list: %+v", b)
	}

	editor := srv.StaffToken(t, identity.RoleEditor)
	var survey struct {
		Booking bookingBody `json:"booking"`
	}
	post(srv, "/v1/opportunities", map[string]any{"kind": "survey", "title": "Your experience of complaints", "summary": "Ten minutes.",
		"organiser_name": "HPA", "online": true, "external_url": "https://survey.example/complaints"}, editor).JSON(t, &survey)
	if survey.Booking.Offered || survey.Booking.Open {
		t.Errorf("a survey offers registration: %+v", survey.Booking)
	}

	spec := api.New(api.Options{}, api.Services{}).OpenAPI()
	for _, path := range []string{"/v1/opportunities/{id}/registrations", "/v1/donations/checkout"} {
		sec := spec.Paths[path].Post.Security
		if len(sec) != 2 || len(sec[0]) != 0 || sec[1]["memberBearer"] == nil {
			t.Errorf("%s: security %v, want [{}, {memberBearer: []}]", path, sec)
		}
	}
}
