package hpa

import "testing"

// WithReason never changes the error it is called on: a package-level
// error given a reason at one call site must not carry it to the others.
func TestWithReasonReturnsACopy(t *testing.T) {
	shared := Invalid("body.email", "is not an email address")
	specific := shared.WithReason("email-invalid")
	if shared.Reason != "" {
		t.Errorf("the shared error took the reason %q", shared.Reason)
	}
	if specific.Reason != "email-invalid" || specific.Fields[0].Location != "body.email" {
		t.Errorf("the copy: %+v", specific)
	}
	specific.Fields[0].Message = "changed"
	if shared.Fields[0].Message != "is not an email address" {
		t.Errorf("the copy shares its fields with the original")
	}
}
