package members

// Reasons: the stable codes of the problems members answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonConsentVersionOutdated         = "consent-version-outdated"
	ReasonInvalidLink                    = "invalid-link"
	ReasonInvalidToken                   = "invalid-token"
	ReasonSpecialCategoryConsentRequired = "special-category-consent-required"
)
