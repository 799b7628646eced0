// Package giftaid keeps donors' Gift Aid declarations and makes HMRC
// claims from them. A declaration holds what HMRC requires (title, first
// and last name, house name or number, postcode or X outside the UK, the
// wording the donor agreed to and its version, the scope, the date and how
// it was made); the name and address are sealed at rest (internal/sealed).
// A claim takes every eligible, unclaimed gift in a period, marks it
// claimed in the same transaction so no gift is claimed twice, and renders
// HMRC's Charities Online schedule (CSV), aggregating small gifts as HMRC
// allows. Declarations and claims are kept six years (a trigger refuses
// earlier deletion), whatever happens to member records.
package giftaid
