package visits

// Reasons: the stable codes of the problems visits answers with (each a
// problem's `code`, listed for its operations in api/problems.go).
const (
	ReasonCollectionBusy       = "collection-busy"
	ReasonFilterTooComplex     = "filter-too-complex"
	ReasonFilteredRangeTooLong = "filtered-range-too-long"
	ReasonFunnelExists         = "funnel-exists"
	ReasonGoalExists           = "goal-exists"
	ReasonHostnameNotAllowed   = "hostname-not-allowed"
	ReasonImportNotDeletable   = "import-not-deletable"
	ReasonImportRejected       = "import-rejected"
	ReasonInvalidPattern       = "invalid-pattern"
	ReasonNotYetWritten        = "not-yet-written"
	ReasonRangeBeyondRawEvents = "range-beyond-raw-events"
	ReasonSaltUnavailable      = "salt-unavailable"
	ReasonTimestampOutOfRange  = "timestamp-out-of-range"
	ReasonTooManyDimensions    = "too-many-dimensions"
	ReasonTooManyFunnels       = "too-many-funnels"
	ReasonTooManyGoals         = "too-many-goals"
	ReasonUnknownGoal          = "unknown-goal"
)
