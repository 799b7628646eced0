package api

import (
	"context"

	"github.com/harmedpatients/hpa/internal/identity"
)

// idempotencyKeyDoc documents the Idempotency-Key header wherever it is honoured.
const idempotencyKeyDoc = "A fresh random value (a UUID) per intended request. A retry with the same key and body within 24 hours gets the first response again " +
	"with `Idempotent-Replayed: true`; the same key with a different body is refused (422 `idempotency-key-reused`); a retry while the first is still running gets 409 `idempotency-request-in-progress`."

// idempotencyScope keeps each caller's keys apart, per operation.
// Anonymous callers share one scope: their keys must be random.
func idempotencyScope(ctx context.Context, operation string) string {
	c := callerFrom(ctx)
	if c == nil {
		return operation + ":anonymous"
	}
	switch c.Kind {
	case identity.Staff:
		return operation + ":staff:" + c.ID.String()
	case identity.APIKey:
		return operation + ":key:" + c.ID.String()
	case identity.Member:
		return operation + ":member:" + c.ID.String()
	}
	return operation + ":anonymous"
}

// replayedHeader is the Idempotent-Replayed value: "true" for a replay,
// absent otherwise.
func replayedHeader(replayed bool) string {
	if replayed {
		return "true"
	}
	return ""
}
