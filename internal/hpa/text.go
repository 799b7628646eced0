package hpa

import (
	"strings"
	"unicode/utf8"
)

// ReasonInvalidText is the reason of every EINVALID error about text the
// service cannot keep (see TextFault).
const ReasonInvalidText = "invalid-text"

// TextFault says why s cannot be kept as text, or "" if it can. PostgreSQL
// refuses, in text and jsonb columns alike, a NUL character (SQLSTATE
// 22021 for text, 22P05 for jsonb's \u0000) and bytes that are not UTF-8
// (22021), which includes encoded UTF-16 surrogates and over-long forms.
// Every other Unicode character is storable.
func TextFault(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character (U+0000), which cannot be stored"
	}
	return ""
}

// InvalidText is the error for text that cannot be kept, naming where each
// piece of it was.
func InvalidText(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Reason: ReasonInvalidText, Message: "the request holds text that cannot be stored", Fields: fields}
}
