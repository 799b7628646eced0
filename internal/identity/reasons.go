package identity

// Reasons: the stable codes of the problems identity answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonEmailTaken         = "email-taken"
	ReasonInvalidApiKey      = "invalid-api-key"
	ReasonInvalidCredentials = "invalid-credentials"
	ReasonInvalidInvitation  = "invalid-invitation"
	ReasonInvalidToken       = "invalid-token"
	ReasonLastAdmin          = "last-admin"
	ReasonNameTaken          = "name-taken"
	ReasonWrongPassword      = "wrong-password"
)
