package api

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/members"
)

// The enumerations that inputs and outputs share are named schemas of
// their own (components/schemas/Interest…), so a generated client has one
// type for what it sends and what it reads back.

// Interest is a kind of email a member chooses to get.
type Interest string

// Schema implements huma.SchemaProvider.
func (Interest) Schema(r huma.Registry) *huma.Schema {
	return sharedEnum(r, "Interest", "A kind of news or invitation a member chooses to be emailed about.", members.Interests)
}

// Region is where in (or outside) the UK a member lives.
type Region string

// Schema implements huma.SchemaProvider.
func (Region) Schema(r huma.Registry) *huma.Schema {
	return sharedEnum(r, "Region", "Where in the UK (or outside it) a member lives.", members.Regions)
}

// EmailFrequency is how often a member hears about opportunities.
type EmailFrequency string

// Schema implements huma.SchemaProvider.
func (EmailFrequency) Schema(r huma.Registry) *huma.Schema {
	return sharedEnum(r, "EmailFrequency", "How often a member is emailed about opportunities: each as it happens (at most one alert a week, the rest in a digest), or weekly or monthly digests.", members.Frequencies)
}

// GiftFrequency says whether a gift is given once or every month.
type GiftFrequency string

// Schema implements huma.SchemaProvider.
func (GiftFrequency) Schema(r huma.Registry) *huma.Schema {
	return sharedEnum(r, "GiftFrequency", "A single gift (one_off) or a monthly one.", []string{"one_off", "monthly"})
}

// sharedEnum registers the named enumeration once and refers to it.
func sharedEnum(r huma.Registry, name, doc string, values []string) *huma.Schema {
	schemas := r.Map()
	if schemas[name] == nil {
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = v
		}
		s := &huma.Schema{Type: huma.TypeString, Enum: enum, Description: doc}
		s.PrecomputeMessages()
		schemas[name] = s
	}
	return &huma.Schema{Ref: "#/components/schemas/" + name}
}

// enumValues converts a list of named enumeration values to strings.
func enumValues[T ~string](in []T) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// asEnum converts strings to a named enumeration, never nil (JSON []).
func asEnum[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}
