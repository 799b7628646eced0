package sitelinks_test

import (
	"testing"

	"github.com/harmedpatients/hpa/internal/sitelinks"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{sitelinks.Confirm.URL("https://www.hpa.example/", "a+b/c"), "https://www.hpa.example/members/confirm?token=a%2Bb%2Fc"},
		{sitelinks.Opportunity.URL("https://www.hpa.example", "0b5e"), "https://www.hpa.example/opportunities/0b5e"},
		{sitelinks.Donate.URL("https://www.hpa.example"), "https://www.hpa.example/donate"},
		{sitelinks.DonateThanks.URL("https://www.hpa.example", "{CHECKOUT_SESSION_ID}"), "https://www.hpa.example/donate/thanks?session_id={CHECKOUT_SESSION_ID}"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
}
