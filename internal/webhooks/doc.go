// Package webhooks delivers outgoing webhooks: partner organisations (and
// HPA's own tools) register endpoints and receive signed HTTP deliveries
// of what happened to them, following the Standard Webhooks specification
// (webhook-id, webhook-timestamp and webhook-signature headers; HMAC-SHA256
// over "id.timestamp.body" with a whsec_ secret).
//
// Other capabilities emit events with Emit, in the transaction of the
// change; an event is stored only if an enabled endpoint receives it, and
// a fan-out job then makes one delivery per endpoint. Each endpoint's
// deliveries are sent by one "pump" job at a time, a few in parallel, so a
// slow or failing endpoint holds up nobody else's. Failed attempts retry
// on a schedule of about three days; an endpoint that fails for all of it
// is disabled and its organisation told by email.
//
// Delivery is safe by construction: the host is resolved when sending and
// the connection made to the address that was checked (no private,
// loopback, link-local, multicast or CGNAT address unless configured for
// development), redirects are not followed, and time and response size are
// bounded. Payloads that name a person are sealed at rest and wiped when
// the person withdraws their consent or is erased.
package webhooks
