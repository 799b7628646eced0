package webhooks

// Reasons: the stable codes of the problems webhooks answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonDeliveryPending  = "delivery-pending"
	ReasonEndpointDisabled = "endpoint-disabled"
	ReasonEventExpired     = "event-expired"
)
