package donations

// The reasons (problem codes) of the errors this package returns, for
// the API to answer with and tests to expect.
const (
	ReasonDonationDisputed               = "donation-disputed"
	ReasonDonorHasNoEmail                = "donor-has-no-email"
	ReasonDonorMerged                    = "donor-merged"
	ReasonDonorsLinkedToDifferentMembers = "donors-linked-to-different-members"
	ReasonInvalidGift                    = "invalid-gift"
	ReasonInvalidDonorLink               = "invalid-donor-link"
	ReasonNoGiftsInYear                  = "no-gifts-in-year"
	ReasonNoStripeCustomer               = "no-stripe-customer"
	ReasonPaymentNotSettled              = "payment-not-settled"
	ReasonRefundExceedsGift              = "refund-exceeds-gift"
	ReasonSlugTaken                      = "slug-taken"
	ReasonSmallDonationOverLimit         = "small-donation-over-limit"
	ReasonStripeApiVersionUnsupported    = "stripe-api-version-unsupported"
	ReasonStripeNotConfigured            = "stripe-not-configured"
	ReasonStripeRefusedRefund            = "stripe-refused-refund"
	ReasonStripeUnavailable              = "stripe-unavailable"
	ReasonUnknownCampaign                = "unknown-campaign"
	ReasonUnknownMember                  = "unknown-member"
)
