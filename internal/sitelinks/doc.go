// Package sitelinks is the one list of the website's pages the API sends
// people to: links in emails (confirm, sign in, stop emails, manage a
// monthly gift, cancel a registration, an opportunity, a staff invitation)
// and Stripe's way back from Checkout. A link a person clicks is a GET in a
// browser, so it must land on the website, which then calls the API; the
// API itself only keeps machine-facing URLs (the RFC 8058 one-click
// unsubscribe POST that mail clients make). The contract's description and
// docs/content.md list these routes for the frontend team, from Routes.
package sitelinks
