package config

import "log/slog"

// Secret holds a sensitive value. Printing, logging or marshalling it shows
// a redaction marker; call Reveal where the real value is needed.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s != "" }

// String implements fmt.Stringer without leaking the value.
func (s Secret) String() string { return redacted }

// GoString keeps %#v from leaking the value.
func (s Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps encoders from leaking the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
