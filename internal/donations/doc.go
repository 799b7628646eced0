// Package donations takes gifts through Stripe and keeps the ledger:
// campaigns a gift can be designated to, Checkout sessions for one-off and
// monthly gifts, the Stripe webhook (verified, each event applied once in
// the same transaction as its effect), donors, subscriptions, offline
// gifts, refunds, disputes, receipts and statements by email, and the
// nightly reconciliation against Stripe's own list of payments.
//
// Money is integer pence in GBP everywhere. Nothing the browser says is
// trusted for what was paid: the ledger is written only from signed
// webhook events (and objects fetched back from Stripe).
package donations
