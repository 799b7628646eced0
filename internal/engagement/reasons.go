package engagement

// Reasons: the stable codes of the problems engagement answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonAlreadyClosed                  = "already-closed"
	ReasonAlreadyRegistered              = "already-registered"
	ReasonHpaContactNotEligible          = "hpa-contact-not-eligible"
	ReasonInvalidLink                    = "invalid-link"
	ReasonInvalidTransition              = "invalid-transition"
	ReasonNotEditable                    = "not-editable"
	ReasonNotPublished                   = "not-published"
	ReasonRegistrationClosed             = "registration-closed"
	ReasonRegistrationNotOffered         = "registration-not-offered"
	ReasonSpecialCategoryConsentRequired = "special-category-consent-required"
)
