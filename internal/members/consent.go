package members

import (
	"crypto/sha256"
	"strings"
)

// ConsentText is the exact wording a person agrees to, with its version.
// Changing a text means a new version: consent events record which one
// each person saw, and the text's SHA-256.
type ConsentText struct {
	Purpose string // "membership", "interests", "special-category", "partner-sharing"
	Version string
	Text    string
}

// Hash is the SHA-256 of the text, recorded with each consent event.
func (c ConsentText) Hash() []byte {
	sum := sha256.Sum256([]byte(c.Text))
	return sum[:]
}

// The consent texts in force. Partners show these words, and send the
// version they showed.
var (
	MembershipConsent = ConsentText{
		Purpose: PurposeMembership, Version: "2026-11-01",
		Text: "I want to join the Harmed Patients Alliance. By joining I state my support for HPA's mission: to eliminate wherever possible the sources of compounded harm to harmed patients and families, promoting restorative approaches to healing and learning after harm. HPA may email me about my membership, and I can leave at any time.",
	}
	InterestsConsent = ConsentText{
		Purpose: "interests", Version: "2026-11-01",
		Text: "HPA may contact me by email about the things I have ticked (surveys, listening events, webinars, research opportunities, campaigning news, general news). I can change these or stop them at any time.",
	}
	SpecialCategoryConsent = ConsentText{
		Purpose: PurposeSpecialCategory, Version: "2026-11-01",
		Text: "I agree that HPA may hold what I tell it about harm I or my family experienced in healthcare, and my accessibility needs. This is health information: HPA keeps it encrypted, only its membership team can read it, it is never shared without my further consent, and I can withdraw this consent at any time without leaving HPA.",
	}
	PartnerSharingConsent = ConsentText{
		Purpose: "partner-sharing", Version: "2026-11-01",
		Text: "I agree that HPA may tell the organisation that signed me up that I joined, and share with that organisation's events the details I give when I register for them.",
	}
)

// ConsentTexts lists every text in force.
var ConsentTexts = []ConsentText{MembershipConsent, InterestsConsent, SpecialCategoryConsent, PartnerSharingConsent}

// Consent purposes recorded in consent_events.
const (
	PurposeMembership      = "membership"
	PurposeSpecialCategory = "special-category"
	purposeInterestPrefix  = "interest:"
	purposePartnerPrefix   = "partner-sharing:"
)

// InterestPurpose is the consent purpose for hearing about one interest.
func InterestPurpose(interest string) string { return purposeInterestPrefix + interest }

// PartnerPurpose is the consent purpose for sharing with one organisation.
func PartnerPurpose(organisationID string) string { return purposePartnerPrefix + organisationID }

// textFor returns the consent text governing a purpose.
func textFor(purpose string) ConsentText {
	switch {
	case purpose == PurposeMembership:
		return MembershipConsent
	case purpose == PurposeSpecialCategory:
		return SpecialCategoryConsent
	case strings.HasPrefix(purpose, purposeInterestPrefix):
		return InterestsConsent
	default:
		return PartnerSharingConsent
	}
}

// consentBatch accumulates consent events to record together.
type consentBatch struct {
	purposes []string
	granted  []bool
	versions []string
	hashes   [][]byte
}

func (b *consentBatch) add(purpose string, granted bool) {
	t := textFor(purpose)
	b.purposes = append(b.purposes, purpose)
	b.granted = append(b.granted, granted)
	b.versions = append(b.versions, t.Version)
	b.hashes = append(b.hashes, t.Hash())
}

func (b *consentBatch) empty() bool { return len(b.purposes) == 0 }
