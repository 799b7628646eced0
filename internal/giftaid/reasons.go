package giftaid

// The reasons (problem codes) of the errors this package returns, for
// the API to answer with and tests to expect.
const (
	ReasonClaimAdjustedLater           = "claim-adjusted-later"
	ReasonClaimRace                    = "claim-race"
	ReasonClaimStatus                  = "claim-status"
	ReasonDeclarationAlreadyCancelled  = "declaration-already-cancelled"
	ReasonDeclarationCoversOneGift     = "declaration-covers-one-gift"
	ReasonDeclarationNotOral           = "declaration-not-oral"
	ReasonDonorMerged                  = "donor-merged"
	ReasonGiftAidDeclarationIncomplete = "gift-aid-declaration-incomplete"
	ReasonGiftAidTimeLimit             = "gift-aid-time-limit"
	ReasonNothingToClaim               = "nothing-to-claim"
	ReasonWrittenRecordAlreadySent     = "written-record-already-sent"
	ReasonWrittenRecordNotNeeded       = "written-record-not-needed"
	ReasonWrittenRecordNotSent         = "written-record-not-sent"
)
