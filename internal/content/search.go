package content

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// SearchHit is a public page matching a search.
type SearchHit struct {
	Slug        string
	Title       string
	Summary     string
	PublishedAt time.Time
	Rank        float64
	// Snippet is HTML: the page's text around the matches, escaped, with
	// the matching words in <mark> elements.
	Snippet string
}

// Search finds public pages matching query (web-search syntax: words,
// "quoted phrases", -excluded, or), best first.
func (s *Service) Search(ctx context.Context, query string, offset, limit int) ([]SearchHit, error) {
	rows, err := store.Q.PageSearch(ctx, s.db, store.PageSearchParams{
		Query: strings.ReplaceAll(strings.ToValidUTF8(query, ""), "\x00", ""), Now: s.now(), Skip: int32(offset), PageSize: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("search pages: %w", err)
	}
	out := make([]SearchHit, len(rows))
	for i, r := range rows {
		out[i] = SearchHit{Slug: r.Slug, Title: r.Title, Summary: r.Summary, Rank: r.Rank, Snippet: highlight(r.Snippet)}
		if r.PublishAt != nil {
			out[i].PublishedAt = r.PublishAt.UTC()
		}
	}
	return out, nil
}
