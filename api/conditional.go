package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

// liveCacheControl is for public data carrying live figures (places left
// at an event, a campaign's running total): kept briefly, never served
// stale without revalidation.
const liveCacheControl = "public, max-age=30"

// liveCachingNote tells the contract's readers how live public data is cached.
const liveCachingNote = "Carries a strong `ETag` (send it back in `If-None-Match` for `304 Not Modified`) and `Cache-Control: public, max-age=30`, as its figures move; callers who send credentials get `private, no-cache`."

// staticCachingNote tells the contract's readers how rarely changing public data is cached.
const staticCachingNote = "Carries a strong `ETag` (send it back in `If-None-Match` for `304 Not Modified`) and `Cache-Control: public, max-age=60, stale-while-revalidate=300`, like pages."

// privateCacheControl is for a public operation answering a caller who sent
// credentials: what they see may be more than the public does (an editor's
// view of an opportunity), so no shared cache may keep it, and a browser
// revalidates it every time.
const privateCacheControl = "private, no-cache"

// hashedDocument answers a conditional GET of public data that has no
// version of its own: its strong ETag is a digest of the JSON encoding, so
// it changes exactly when the document does; 304 when If-None-Match names
// it. Answers to callers with credentials are private.
func hashedDocument(ctx context.Context, ifNoneMatch string, doc any, cacheControl string) (*encodedOutput, error) {
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	etag := strongETag(base64.RawURLEncoding.EncodeToString(sum[:18]))
	if callerFrom(ctx) != nil {
		cacheControl = privateCacheControl
	}
	if ifNoneMatch != "" && noneMatch(ifNoneMatch, etag) {
		return &encodedOutput{Status: http.StatusNotModified, ETag: etag, CacheControl: cacheControl}, nil
	}
	return &encodedOutput{Status: http.StatusOK, ContentType: "application/json", ETag: etag, CacheControl: cacheControl, Body: body}, nil
}
