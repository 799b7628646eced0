package api

import (
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

func strongETag(version string) string { return `"` + version + `"` }

// checkNotModified returns a 304 (as huma expects it, an error carrying the
// validator headers) when ifNoneMatch names etag; nil otherwise. Weak
// comparison applies, as RFC 9110 requires for If-None-Match.
func checkNotModified(ifNoneMatch, etag, cacheControl string) error {
	if !noneMatch(ifNoneMatch, etag) {
		return nil
	}
	return huma.ErrorWithHeaders(huma.Status304NotModified(), http.Header{
		"Etag":          {etag},
		"Cache-Control": {cacheControl},
	})
}

// noneMatch reports whether an If-None-Match value names etag (or is *),
// comparing weakly as RFC 9110 requires, without allocating.
func noneMatch(ifNoneMatch, etag string) bool {
	for rest := ifNoneMatch; rest != ""; {
		var candidate string
		candidate, rest, _ = strings.Cut(rest, ",")
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}

// notModifiedResponse documents the 304 a conditional GET can return.
func notModifiedResponse() map[string]*huma.Response {
	return map[string]*huma.Response{
		"304": {Description: "Not Modified: the representation matching If-None-Match is still current.", Headers: map[string]*huma.Param{
			"ETag":          {Description: "The representation's strong validator, the same as before.", Schema: &huma.Schema{Type: "string"}},
			"Cache-Control": {Description: "How long the representation may still be reused.", Schema: &huma.Schema{Type: "string"}},
		}},
	}
}
