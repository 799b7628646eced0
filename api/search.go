package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

type searchInput struct {
	Q      string `query:"q" required:"true" minLength:"1" maxLength:"200" example:"restorative culture" doc:"What to look for: words, \"quoted phrases\", -excluded words, or. English stemming applies (harm finds harmed)."`
	Cursor string `query:"cursor" maxLength:"512" doc:"Opaque cursor from a previous page's next_cursor."`
	Limit  int    `query:"limit" minimum:"1" maximum:"50" default:"10" doc:"Most results to return."`
	ConditionalGet
}

type searchHit struct {
	Slug        string    `json:"slug" example:"restorative-and-just-culture"`
	Title       string    `json:"title" example:"Restorative and Just Culture"`
	Summary     string    `json:"summary"`
	Snippet     string    `json:"snippet" example:"… a <mark>Restorative</mark> and Just <mark>Culture</mark> that recognises …" doc:"HTML: the page's text around the matches, escaped, with matching words in <mark> elements."`
	Rank        float64   `json:"rank" doc:"Relevance; higher is better. Only meaningful within one search."`
	PublishedAt time.Time `json:"published_at"`
}

type searchResults struct {
	Items      []searchHit `json:"items" doc:"Best first."`
	NextCursor string      `json:"next_cursor,omitempty" doc:"Pass as cursor for more results; absent on the last page."`
}

// searchCursor is where the next page of results starts.
type searchCursor struct {
	Offset int `json:"o"`
}

// maxSearchOffset bounds how deep a search can page: ranking every match
// again for page 100 helps nobody.
const maxSearchOffset = 500

func registerSearch(hapi huma.API, pages contentService) {
	register(hapi, public, huma.Operation{
		OperationID: "search",
		Method:      http.MethodGet,
		Path:        "/v1/search",
		Summary:     "Search the published pages",
		Description: "PostgreSQL full-text search (English) over the titles, summaries and bodies of published pages, ranked (title matches weigh most), with highlighted snippets. Supports `If-None-Match`.",
		Tags:        []string{"Search"},
		Metadata:    map[string]any{cacheableKey: true},
		Responses:   encodedResponses[searchResults](hapi, "The matching pages."),
	}, func(ctx context.Context, in *searchInput) (*encodedOutput, error) {
		var cur searchCursor
		if err := decodeCursor(in.Cursor, &cur); err != nil {
			return nil, err
		}
		if cur.Offset < 0 || cur.Offset > maxSearchOffset {
			return nil, invalidField("query.cursor", "is not a cursor this API gave out")
		}
		hits, err := pages.Search(ctx, in.Q, cur.Offset, in.Limit)
		if err != nil {
			return nil, err
		}
		body := searchResults{Items: make([]searchHit, len(hits))}
		for i, h := range hits {
			body.Items[i] = searchHit{Slug: h.Slug, Title: h.Title, Summary: h.Summary, Snippet: h.Snippet, Rank: h.Rank, PublishedAt: h.PublishedAt}
		}
		if len(hits) == in.Limit && cur.Offset+in.Limit < maxSearchOffset {
			body.NextCursor = encodeCursor(searchCursor{Offset: cur.Offset + in.Limit})
		}
		encoded := mustJSON(body)
		return publicDocument(in.IfNoneMatch, hashBytes(encoded), pages.NextChange(), func() []byte { return encoded })
	})
}

// mustJSON encodes a plain response struct (which cannot fail).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encode response: " + err.Error())
	}
	return b
}

// hashBytes is a short content hash for a strong ETag.
func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
