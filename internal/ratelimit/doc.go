// Package ratelimit counts requests against limits that mean the same
// however many instances of the service run: the counts live in
// PostgreSQL (one upserted row per limited thing and window), so two
// instances share one allowance rather than each granting its own.
//
// Windows are fixed, of whole seconds, and each limited thing's windows
// start at an offset derived from its key, so that clients do not all
// come back at the same instant. A Decision says exactly how many
// requests are left and when the window ends, which is what the IETF
// RateLimit and RateLimit-Policy fields and Retry-After report. Local
// keeps the same kind of count in memory, for the coarse per-address
// flood limit that may differ between instances.
package ratelimit
