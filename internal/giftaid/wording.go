package giftaid

// CurrentWordingVersion is the wording new declarations are shown.
const CurrentWordingVersion = "hmrc-model-2026"

const taxpayerClause = " I am a UK taxpayer and understand that if I pay less Income Tax and/or Capital Gains Tax in the current tax year than the amount of Gift Aid claimed on all my donations it is my responsibility to pay any difference."

// wordings holds every version's text per scope, after HMRC's model
// declarations. Old versions stay so stored declarations keep their text.
var wordings = map[string]map[Scope]string{
	CurrentWordingVersion: {
		ScopeThisGift:               "I want to Gift Aid my donation to the Harmed Patients Alliance." + taxpayerClause,
		ScopeThisAndFuture:          "I want to Gift Aid my donation and any donations I make in the future to the Harmed Patients Alliance." + taxpayerClause,
		ScopePastFourYearsAndFuture: "I want to Gift Aid my donation and any donations I make in the future or have made in the past 4 years to the Harmed Patients Alliance." + taxpayerClause,
	},
}

// Wording returns the text of a version for a scope.
func Wording(version string, scope Scope) (string, bool) {
	w, ok := wordings[version][scope]
	return w, ok
}

// CurrentWordings returns the current version's text per scope.
func CurrentWordings() map[Scope]string {
	out := map[Scope]string{}
	for k, v := range wordings[CurrentWordingVersion] {
		out[k] = v
	}
	return out
}
