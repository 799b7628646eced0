package api

import (
	"encoding/base64"
	"encoding/json"

	"github.com/harmedpatients/hpa/internal/hpa"
)

// Lists are paginated with opaque cursors: a response's next_cursor, sent
// back as ?cursor=, continues where it stopped. Clients must not build or
// parse cursors; their content may change.

func encodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encode cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor fills v from a cursor; an empty cursor leaves v as it is.
func decodeCursor(cursor string, v any) error {
	if cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || json.Unmarshal(b, v) != nil {
		return hpa.Invalid("query.cursor", "is not a cursor this API gave out")
	}
	return nil
}

// PageQuery is the pagination input every list shares (exported so huma
// sees its fields when it is embedded).
type PageQuery struct {
	Cursor string `query:"cursor" maxLength:"512" doc:"Opaque cursor from a previous page's next_cursor."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Most items to return."`
}

// pageOf renders a page of items and, when the page is full (so more may
// follow), the cursor that continues after its last item.
func pageOf[T, B any](items []T, limit int, body func(T) B, after func(last T) any) ([]B, string) {
	out := make([]B, len(items))
	for i, item := range items {
		out[i] = body(item)
	}
	if len(items) == 0 || len(items) < limit {
		return out, ""
	}
	return out, encodeCursor(after(items[len(items)-1]))
}
