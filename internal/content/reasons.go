package content

// Reasons: the stable codes of the problems content answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonAudienceKeyTaken = "audience-key-taken"
	ReasonFormSentTooFast  = "form-sent-too-fast"
	ReasonFormTokenExpired = "form-token-expired"
	ReasonFormTokenInvalid = "form-token-invalid"
	ReasonFormTokenUsed    = "form-token-used"
	ReasonPageInUse        = "page-in-use"
	ReasonSlugReserved     = "slug-reserved"
	ReasonSlugTaken        = "slug-taken"
	ReasonStaleVersion     = "stale-version"
)
