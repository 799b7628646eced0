// Package idempotency makes retried requests safe: the first response to a
// request carrying an Idempotency-Key is stored for 24 hours, scoped to
// the caller, and a retry with the same key and the same body gets that
// response again instead of doing the work twice.
//
// The rules (the same for every operation that honours the header):
//   - same key, same body, first request finished: the stored response is
//     replayed (callers add `Idempotent-Replayed: true`);
//   - same key, different body: 422 `idempotency-key-reused`;
//   - same key while the first request is still running: 409
//     `idempotency-request-in-progress`;
//   - a first request that failed releases its key, so a retry runs again.
//
// Use Do around the handler's work:
//
//	out, replayed, err := idempotency.Do(ctx, store, scope, key, in.Body, func() (*Result, error) {...})
//
// Scope must identify the operation and the caller (for example
// "create-donation-checkout:staff:<id>"), so two callers never share keys.
package idempotency
