// Package members is HPA's membership: people join from the website or
// through partner organisations, confirm by email, choose what they hear
// about, manage themselves through emailed magic links, and can take their
// data away or have it erased. Consent is recorded as an append-only
// history; special-category data (someone's account of healthcare harm)
// is sealed, kept apart, and needs its own explicit consent.
package members
