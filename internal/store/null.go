package store

// Text returns a nullable text column's value, "" for NULL.
func Text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NullText stores "" as NULL in a nullable text column.
func NullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
