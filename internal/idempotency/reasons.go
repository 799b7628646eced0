package idempotency

// Reasons: the stable codes of the problems idempotency answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonIdempotencyKeyInUse  = "idempotency-key-in-use"
	ReasonIdempotencyKeyReused = "idempotency-key-reused"
)
