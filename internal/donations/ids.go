package donations

import (
	"reflect"

	"github.com/google/uuid"
)

// idOf returns the ID of an expandable Stripe reference (nil-safe): such
// fields decode as objects holding only an ID when not expanded.
func idOf[T any](ref *T) string {
	if ref == nil {
		return ""
	}
	f := reflect.ValueOf(ref).Elem().FieldByName("ID")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

func parseMetaID(raw string) *uuid.UUID {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil
	}
	return &id
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
